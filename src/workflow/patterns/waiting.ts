import { NonDeterminismError } from "../../engine/engine-errors.ts";
import { idempotencyKeyFor } from "../../engine/ids.ts";
import type { EventBus } from "../../engine/events.ts";
import type { Journal } from "../../engine/journal.ts";
import type { StepReplayer } from "../../engine/run-step.ts";
import { InternalError } from "../../errors.ts";
import type { StepType } from "../../store/schema.ts";
import { RunSuspended, WaitTimeoutError } from "./suspension.ts";

/** Everything a waiting step (approval, event) needs from its context. */
export interface WaitEnvironment {
  runId: string;
  journal: Journal;
  now(): number;
  /** Where `wait-start` is reported each time the run parks at the wait. */
  events?: EventBus;
  /** Set when the run is replayed: the journal answers the wait, nothing is looked up or written. */
  replay?: StepReplayer | undefined;
  signal?: AbortSignal;
}

export interface WaitSpec<T> {
  position: string;
  key: string;
  name: string;
  type: StepType;
  /** What is being waited for, journaled as the step's input (and shown by `cadre approvals`). */
  request: Record<string, unknown>;
  timeoutMs?: number;
  /** Adds to the request what must be fixed when the wait begins (e.g. the event log's cursor). */
  prepare?: () => Promise<Record<string, unknown>>;
  /** Looks for the answer outside the journal (e.g. a published event) from the journaled request; undefined while none. */
  lookup?: (request: Record<string, unknown>) => Promise<T | undefined>;
  describe: string;
}

/**
 * The durable wait: the first time, journals the step as `waiting` and parks the run; on
 * every resume, returns the answer once it was recorded (in the journal, by `cadre approve`,
 * or found by `lookup`), fails past the deadline, or parks the run again.
 */
export async function waitDurably<T>(environment: WaitEnvironment, spec: WaitSpec<T>): Promise<T> {
  const { journal } = environment;
  if (environment.replay) {
    const noEffect = () => Promise.reject(new InternalError({ message: `A replay asked wait ${spec.key} to run; waits are answered from the journal.`, stepKey: spec.key }));
    return environment.replay.step({ runId: environment.runId, signal: environment.signal ?? new AbortController().signal }, { position: spec.position, key: spec.key, name: spec.name, type: spec.type, input: spec.request, execute: noEffect });
  }
  const previous = journal.at(spec.position);
  if (previous && (previous.name !== spec.name || previous.type !== spec.type)) {
    throw new NonDeterminismError({ runId: environment.runId, position: spec.position, journaled: `${previous.type} "${previous.name}"`, requested: `${spec.type} "${spec.name}"` });
  }
  if (previous?.status === "completed") return previous.output as T;
  if (previous?.status === "failed") throw new WaitTimeoutError({ what: spec.describe, stepKey: spec.key, deadline: Number((previous.input as { deadline?: number }).deadline ?? 0) });

  let request = previous?.input as (Record<string, unknown> & { deadline: number | null; since: number }) | undefined;
  if (!previous) {
    const startedAt = environment.now();
    request = { ...spec.request, ...(await spec.prepare?.()), deadline: spec.timeoutMs ? startedAt + spec.timeoutMs : null, since: startedAt };
    await journal.started({ key: spec.key, attempt: 1, name: spec.name, type: spec.type, agent: null, input: request, idempotencyKey: idempotencyKeyFor(environment.runId, spec.key), startedAt });
    journal.ended(spec.key, { status: "waiting", endedAt: startedAt });
  }
  const answer = await spec.lookup?.(request!);
  if (answer !== undefined) {
    journal.ended(spec.key, { status: "completed", output: answer, endedAt: environment.now() });
    return answer;
  }
  if (request!.deadline !== null && environment.now() > request!.deadline) {
    const error = new WaitTimeoutError({ what: spec.describe, stepKey: spec.key, deadline: request!.deadline });
    journal.ended(spec.key, { status: "failed", error: error.toJSON(), endedAt: environment.now() });
    throw error;
  }
  environment.events?.emit("wait-start", { runId: environment.runId, key: spec.key, name: spec.name, type: spec.type, request: request!.request ?? request });
  throw new RunSuspended(spec.key, spec.describe);
}
