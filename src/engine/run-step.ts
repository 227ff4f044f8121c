import type { Transaction } from "kysely";
import { CadreError, toCadreError } from "../errors.ts";
import type { Database, StepType } from "../store/schema.ts";
import { AbortedError, NonDeterminismError, StepTimeoutError } from "./engine-errors.ts";
import type { EventBus } from "./events.ts";
import { idempotencyKeyFor } from "./ids.ts";
import type { Journal } from "./journal.ts";
import { RunSuspended } from "./run-suspended.ts";
import { withRetry, withTimeout, type RetryOptions } from "./resilience.ts";

/** What every attempt of a step receives. */
export interface AttemptContext {
  signal: AbortSignal;
  idempotencyKey: string;
  attempt: number;
  stepKey: string;
}

/**
 * Writes that must commit with the journal: governance places holds on start and settles on
 * end. When `started` throws (a refusal: no grant, no budget, revoked agent) or the step's
 * guard refuses before it (open breaker, full bulkhead), the attempt is journaled as failed
 * and `refused` records why, in one transaction of its own that holds no money.
 */
export interface StepHooks {
  started?(tx: Transaction<Database>, attempt: AttemptContext): Promise<void>;
  ended?(tx: Transaction<Database>, attempt: AttemptContext, outcome: { ok: boolean; output?: unknown; error?: CadreError }): Promise<void>;
  refused?(tx: Transaction<Database>, attempt: AttemptContext, error: CadreError): Promise<void>;
}

/** The per-run services a step needs. */
export interface StepEnvironment {
  runId: string;
  journal: Journal;
  events: EventBus;
  signal: AbortSignal;
  now(): number;
  /**
   * Set while the run is parking (a wait suspended it): no new step starts, it throws the
   * suspension again. A workflow that caught the suspension cannot go down another path.
   */
  parked?(): Error | undefined;
  /** Set when the run is replayed against its journal: every step is answered by it, no effect runs. */
  replay?: StepReplayer | undefined;
}

/**
 * Answers the steps of a run replayed against its journal (see workflow/replay): it returns
 * what the journal recorded, or throws where the code no longer matches it. It never runs an effect.
 */
export interface StepReplayer {
  step<T>(environment: Pick<StepEnvironment, "runId" | "signal" | "parked">, spec: StepSpec<T>): Promise<T>;
}

export interface StepSpec<T> {
  position: string;
  key: string;
  name: string;
  type: StepType;
  agent?: string | null;
  input?: unknown;
  timeoutMs?: number | undefined;
  retry?: RetryOptions | undefined;
  hooks?: StepHooks | undefined;
  /**
   * Wraps each timed attempt: circuit breaker and bulkhead. A refusal fails the attempt without
   * running it. `attempt.effect()` is the untimed effect once started, so a bulkhead can hold
   * its slot until the effect really ends.
   */
  guard?: (<R>(work: () => Promise<R>, attempt: { signal: AbortSignal; timeoutMs: number | undefined; effect(): Promise<unknown> | undefined; before(): Promise<void> }) => Promise<R>) | undefined;
  execute(attempt: AttemptContext): Promise<T>;
}

/**
 * Runs one durable step: returns the journaled output when the step already completed,
 * otherwise journals `started`, runs the effect under its timeout, journals the outcome
 * and retries per policy. A final failure is thrown with the run and step attached.
 */
export async function runStep<T>(environment: StepEnvironment, spec: StepSpec<T>): Promise<T> {
  if (environment.replay) return environment.replay.step(environment, spec);
  const { journal, events, runId } = environment;
  const agent = spec.agent ?? null;
  const previous = journal.at(spec.position);
  if (previous) {
    if (previous.name !== spec.name || previous.type !== spec.type) {
      throw new NonDeterminismError({
        runId,
        position: spec.position,
        journaled: `${previous.type} "${previous.name}"`,
        requested: `${spec.type} "${spec.name}"`,
      });
    }
    if (previous.status === "completed") {
      events.emit("step-end", { runId, key: spec.key, name: spec.name, type: spec.type, agent, attempt: previous.attempt, status: "completed", durationMs: 0, replayed: true });
      return previous.output as T;
    }
  }
  const parked = environment.parked?.();
  if (parked) throw parked;
  const firstAttempt = (previous?.attempt ?? 0) + 1;
  const idempotencyKey = previous?.idempotencyKey ?? idempotencyKeyFor(runId, spec.key);

  try {
    return await withRetry(spec.retry, environment.signal, async (index) => {
      if (environment.signal.aborted) throw new AbortedError({ message: `Run ${runId} was aborted before step ${spec.key}.`, runId, stepKey: spec.key });
      const attempt = firstAttempt + index - 1;
      return runAttempt(environment, spec, { attempt, idempotencyKey, stepKey: spec.key, signal: environment.signal });
    });
  } catch (error) {
    if (RunSuspended.is(error)) throw error;
    throw located(error, runId, spec);
  }
}

/** The error with the run, step and agent it happened in (the innermost step's, when nested). */
function located(thrown: unknown, runId: string, spec: StepSpec<unknown>): CadreError {
  const error = toCadreError(thrown);
  error.details.runId ??= runId;
  error.details.stepKey ??= spec.key;
  if (spec.agent) error.details.agent ??= spec.agent;
  return error;
}

async function runAttempt<T>(environment: StepEnvironment, spec: StepSpec<T>, base: AttemptContext): Promise<T> {
  const { journal, events, runId } = environment;
  const agent = spec.agent ?? null;
  const startedAt = environment.now();
  const entry = { key: spec.key, attempt: base.attempt, name: spec.name, type: spec.type, agent, input: spec.input, idempotencyKey: base.idempotencyKey, startedAt };
  const ended = (status: "completed" | "failed" | "waiting", endedAt: number, error?: CadreError) =>
    events.emit("step-end", { runId, key: spec.key, name: spec.name, type: spec.type, agent, attempt: base.attempt, status, durationMs: endedAt - startedAt, ...(error ? { error: error.toJSON() } : {}), replayed: false });

  let refusal: CadreError | undefined;
  let started = false;
  let effect: Promise<T> | undefined;
  // Journaled `started` (with the hold and the allow record) only once the guard let the call in.
  const start = async (): Promise<void> => {
    // A call that waited for a bulkhead slot may find its run cancelled meanwhile.
    if (base.signal.aborted) throw new AbortedError({ message: `Run ${runId} was aborted before step ${spec.key} could run.`, runId, stepKey: spec.key });
    try {
      await journal.started(entry, spec.hooks?.started ? (tx) => spec.hooks!.started!(tx, base) : undefined);
    } catch (thrown) {
      refusal = located(thrown, runId, spec);
      // A process that lost the run writes nothing more, not even the refusal.
      if (spec.hooks?.started && refusal.code !== "RUN_LEASE_LOST") await journal.refused(entry, refusal.toJSON(), spec.hooks.refused ? (tx) => spec.hooks!.refused!(tx, base, refusal!) : undefined);
      throw refusal;
    }
    started = true;
    events.emit("step-start", { runId, key: spec.key, name: spec.name, type: spec.type, agent, attempt: base.attempt });
  };
  const timed = (): Promise<T> =>
    withTimeout(
      spec.timeoutMs,
      base.signal,
      (signal) => (effect = spec.execute({ ...base, signal })),
      () => new StepTimeoutError({ runId, stepKey: spec.key, timeoutMs: spec.timeoutMs!, agent }),
    );

  let output: T;
  try {
    // 1. The guard (breaker, bulkhead) refuses cheaply, before anything durable. 2. Journal + hold + audit in one
    // transaction (its refusals are not counted by the breaker). 3. The effect under its timeout, counted by the
    // breaker. 4. Its outcome, settlement and audit, written behind.
    output = await (spec.guard ? spec.guard(timed, { signal: base.signal, timeoutMs: spec.timeoutMs, effect: () => effect, before: start }) : start().then(timed));
  } catch (thrown) {
    const endedAt = environment.now();
    if (!started) {
      if (refusal) {
        ended("failed", endedAt, refusal);
        throw refusal;
      }
      // The guard refused (open breaker, full bulkhead) or the run was aborted while the call waited for a slot:
      // nothing was held or allowed; the refusal is journaled as a failed attempt with its denial record, in one transaction.
      const error = located(thrown, runId, spec);
      if (error.code !== "ABORTED" && error.code !== "RUN_LEASE_LOST") {
        await journal.refused(entry, error.toJSON(), spec.hooks?.refused ? (tx) => spec.hooks!.refused!(tx, base, error) : undefined).catch(() => {});
      }
      ended("failed", endedAt, error);
      throw error;
    }
    if (RunSuspended.is(thrown)) {
      // The effect waits for the outside world (a child run waiting for a person or an event):
      // not a failure. A resume runs the step again and finds the answer.
      journal.ended(spec.key, { status: "waiting", endedAt }, spec.hooks?.ended ? (tx) => spec.hooks!.ended!(tx, base, { ok: false }) : undefined);
      ended("waiting", endedAt);
      throw thrown;
    }
    // Located before it is journaled, so the journal holds the same error the caller sees.
    const error = located(thrown, runId, spec);
    journal.ended(spec.key, { status: "failed", error: error.toJSON(), endedAt }, spec.hooks?.ended ? (tx) => spec.hooks!.ended!(tx, base, { ok: false, error }) : undefined);
    ended("failed", endedAt, error);
    throw error;
  }
  const endedAt = environment.now();
  // The effect happened (and is paid for); an output too large to journal still fails the step.
  const unjournaled = journal.ended(spec.key, { status: "completed", output, endedAt }, spec.hooks?.ended ? (tx) => spec.hooks!.ended!(tx, base, { ok: true, output }) : undefined);
  if (unjournaled) {
    const error = located(unjournaled, runId, spec);
    ended("failed", endedAt, error);
    throw error;
  }
  ended("completed", endedAt);
  return output;
}
