import { AbortedError } from "../../engine/engine-errors.ts";
import { CadreError, ConfigurationError, fromSerializedError, toCadreError, type CadreErrorOptions } from "../../errors.ts";
import type { WorkflowContext } from "../context.ts";
import type { SupervisorDecision, SupervisorJournal } from "./supervisor-journal.ts";
import { RunSuspended } from "./suspension.ts";

/**
 * OTP restart types. Children are tasks: a normal exit ends a child, and the supervisor
 * returns once every child has ended.
 * - permanent: restarted after it fails, and restarted with its group (one-for-all,
 *   rest-for-one) even when it had already completed;
 * - transient: restarted only when it fails; once it completed normally it keeps its result;
 * - temporary: never restarted; its failure is reported, not escalated; a group restart
 *   stops it for good (as OTP's `terminate_children` does).
 */
export type RestartType = "permanent" | "transient" | "temporary";
export type SupervisionStrategy = "one-for-one" | "one-for-all" | "rest-for-one";

export interface SupervisorOptions {
  strategy: SupervisionStrategy;
  /** Restart intensity: more than `maxRestarts` restarts within `withinMs` fails the supervisor (default 3 in 5 s). */
  maxRestarts?: number;
  withinMs?: number;
}

export interface ChildSpec<T = unknown> {
  /** Unique among its siblings; names the child in results, errors and the journal. */
  id: string;
  /** Default "permanent". */
  restart?: RestartType;
  /** The child's work, in a scope of its own: each restart runs it in a fresh generation. */
  run(context: WorkflowContext): Promise<T>;
}

export interface SupervisorResult<T = unknown> {
  /** The result of every child that completed, by id. */
  results: Record<string, T>;
  /** Temporary children that failed or were stopped by a group restart (they are never restarted). */
  failures: Record<string, CadreError>;
  restarts: number;
}

/** The supervisor gave up: its restart intensity was exceeded. Its parent supervisor sees it as a child failure. */
export class SupervisorError extends CadreError {
  constructor(details: { position: string; child: string; restarts: number; maxRestarts: number; withinMs: number; error: CadreError }, options?: CadreErrorOptions) {
    super(
      "SUPERVISOR_FAILED",
      `Supervisor at step ${details.position} gave up: child "${details.child}" failed again after ${details.restarts} restarts within ${details.withinMs} ms (max ${details.maxRestarts}): ${details.error.message}. Fix the cause, or raise maxRestarts/withinMs; resuming the run retries the last failure.`,
      { cause: details.error, ...options, details: { position: details.position, child: details.child, restarts: details.restarts, maxRestarts: details.maxRestarts, withinMs: details.withinMs, error: details.error.toJSON() } },
    );
  }
}

export interface SupervisorEnvironment extends SupervisorJournal {
  position: string;
  signal: AbortSignal;
  now(): number;
  /** A context for child `index` in restart generation `generation`: its steps get their own keys. */
  childContext(index: number, generation: number, signal: AbortSignal): WorkflowContext;
}

type ChildState = { status: "pending" } | { status: "running"; controller: AbortController; done: Promise<void> } | { status: "completed"; value: unknown } | { status: "failed"; error: CadreError };
type Exit = { index: number; generation: number; ok: boolean; value?: unknown; error?: CadreError; suspension?: RunSuspended };

/**
 * Runs children concurrently and restarts them per the strategy until every child has
 * completed (or, if temporary, failed). Every restart decision is journaled before it is
 * carried out, and restarted children run in a new generation, so their steps are fresh
 * attempts with new keys. A resumed run first replays the journaled decisions, so it never
 * re-runs a generation that was superseded and repeats exactly the history it had.
 */
export async function supervise<T>(environment: SupervisorEnvironment, options: SupervisorOptions, children: Array<ChildSpec<T>>): Promise<SupervisorResult<T>> {
  const maxRestarts = options.maxRestarts ?? 3;
  const withinMs = options.withinMs ?? 5_000;
  const ids = children.map((child) => child.id);
  if (new Set(ids).size !== children.length) {
    throw new ConfigurationError({ message: `Supervisor at step ${environment.position} has duplicate child ids (${ids.join(", ")});`, fix: "give each child a unique id.", pattern: "supervise", position: environment.position, ids });
  }
  const states: ChildState[] = children.map(() => ({ status: "pending" }));
  const generations = children.map(() => 0);
  const restartTimes: number[] = [];
  let restarts = 0;
  const exits: Exit[] = [];
  let wake: (() => void) | undefined;

  const indexOf = new Map(ids.map((id, index) => [id, index]));

  const apply = (decision: SupervisorDecision) => {
    if (decision.restarted.length === 0) states[indexOf.get(decision.child)!] = { status: "failed", error: fromSerializedError(decision.error) };
    else {
      restarts += 1;
      restartTimes.push(decision.at);
    }
    for (const id of decision.restarted) {
      const index = indexOf.get(id)!;
      generations[index]! += 1;
      states[index] = { status: "pending" };
    }
    for (const id of decision.terminated) states[indexOf.get(id)!] = { status: "failed", error: terminatedError(environment.position, id, decision) };
  };
  // Replay first: what an earlier execution decided is what happened.
  for (const decision of environment.history(ids)) apply(decision);

  const start = (index: number) => {
    const controller = new AbortController();
    const onParentAbort = () => controller.abort();
    environment.signal.addEventListener("abort", onParentAbort, { once: true });
    const generation = generations[index]!;
    const context = environment.childContext(index, generation, controller.signal);
    const done = children[index]!.run(context).then(
      (value) => void exits.push({ index, generation, ok: true, value }),
      (error: unknown) => void exits.push(RunSuspended.is(error) ? { index, generation, ok: false, suspension: error } : { index, generation, ok: false, error: toCadreError(error) }),
    ).finally(() => {
      environment.signal.removeEventListener("abort", onParentAbort);
      wake?.();
    });
    states[index] = { status: "running", controller, done };
  };

  const stop = async (index: number) => {
    const state = states[index]!;
    if (state.status !== "running") return;
    state.controller.abort();
    await state.done;
  };

  const stopAll = async () => {
    for (let index = 0; index < children.length; index += 1) await stop(index);
  };

  while (true) {
    if (environment.signal.aborted) {
      await stopAll();
      throw new AbortedError({ message: `Supervisor at step ${environment.position} was aborted.`, position: environment.position });
    }
    states.forEach((state, index) => state.status === "pending" && start(index));
    if (!states.some((state) => state.status === "running")) break;
    if (exits.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const exit = exits.shift();
    // Children stopped by a cancelled run are not failures: the top of the loop stops the tree.
    if (!exit || environment.signal.aborted) continue;
    if (exit.generation !== generations[exit.index] || states[exit.index]!.status !== "running") continue; // an exit of a child we already stopped
    if (exit.suspension) {
      // Waiting for a person or an event is not a crash: park the whole tree.
      await stopAll();
      throw exit.suspension;
    }
    if (exit.ok) {
      states[exit.index] = { status: "completed", value: exit.value };
      continue;
    }
    const child = children[exit.index]!;
    const error = exit.error!;
    const at = environment.now();
    if ((child.restart ?? "permanent") === "temporary") {
      const decision: SupervisorDecision = { child: child.id, generation: exit.generation, at, error: error.toJSON(), restarted: [], terminated: [] };
      await environment.record(decision);
      apply(decision);
      continue;
    }
    const recent = [...restartTimes.filter((time) => time > at - withinMs), at];
    if (recent.length > maxRestarts) {
      // Not journaled: resuming the failed run retries the child's last failure.
      states[exit.index] = { status: "failed", error };
      await stopAll();
      throw new SupervisorError({ position: environment.position, child: child.id, restarts, maxRestarts, withinMs, error });
    }
    const group = restartGroup(options.strategy, children, states, exit.index);
    const decision: SupervisorDecision = {
      child: child.id,
      generation: exit.generation,
      at,
      error: error.toJSON(),
      restarted: group.restarted.map((index) => ids[index]!),
      terminated: group.terminated.map((index) => ids[index]!),
    };
    // Journaled before the siblings are stopped: a crash in between replays the same decision.
    await environment.record(decision);
    for (const index of [...group.restarted, ...group.terminated]) await stop(index);
    apply(decision);
  }

  const results: Record<string, T> = {};
  const failures: Record<string, CadreError> = {};
  states.forEach((state, index) => {
    if (state.status === "completed") results[ids[index]!] = state.value as T;
    if (state.status === "failed") failures[ids[index]!] = state.error;
  });
  return { results, failures, restarts };
}

/**
 * Which children a failure of `failed` restarts, and which temporary ones it stops for good:
 * one-for-one the failed child alone; one-for-all every sibling; rest-for-one the failed one
 * and those started after it. Transient children that completed keep their result.
 */
function restartGroup(strategy: SupervisionStrategy, children: ChildSpec<unknown>[], states: ChildState[], failed: number): { restarted: number[]; terminated: number[] } {
  if (strategy === "one-for-one") return { restarted: [failed], terminated: [] };
  const restarted: number[] = [];
  const terminated: number[] = [];
  for (let index = strategy === "one-for-all" ? 0 : failed; index < children.length; index += 1) {
    const restart = children[index]!.restart ?? "permanent";
    const status = states[index]!.status;
    if (index === failed) restarted.push(index);
    else if (restart === "temporary") {
      if (status === "running") terminated.push(index);
    } else if (!(restart === "transient" && status === "completed")) restarted.push(index);
  }
  return { restarted, terminated };
}

function terminatedError(position: string, child: string, decision: SupervisorDecision): AbortedError {
  return new AbortedError({ message: `Temporary child "${child}" of the supervisor at step ${position} was stopped because its sibling "${decision.child}" failed and its group restarted; temporary children are never restarted.`, position, child, sibling: decision.child });
}
