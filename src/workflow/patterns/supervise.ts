import { AbortedError } from "../../engine/engine-errors.ts";
import { CadreError, toCadreError } from "../../errors.ts";
import type { WorkflowContext } from "../context.ts";
import { RunSuspended } from "./suspension.ts";

/**
 * OTP restart types, for children that are tasks:
 * - permanent: restarted after it fails, and restarted with its group (one-for-all,
 *   rest-for-one) even when it had already completed;
 * - transient: restarted only when it fails; once it completed normally it keeps its result;
 * - temporary: never restarted; its failure is reported, not escalated.
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
  id: string;
  restart?: RestartType;
  run(context: WorkflowContext): Promise<T>;
}

export interface SupervisorResult<T = unknown> {
  /** The result of every child that completed, by id. */
  results: Record<string, T>;
  /** Temporary children that failed (they are never restarted). */
  failures: Record<string, CadreError>;
  restarts: number;
}

/** The supervisor gave up: its restart intensity was exceeded. Its parent supervisor sees it as a child failure. */
export class SupervisorError extends CadreError {
  constructor(details: { position: string; child: string; restarts: number; maxRestarts: number; withinMs: number; cause: CadreError }) {
    super(
      "SUPERVISOR_FAILED",
      "system",
      `Supervisor at step ${details.position} gave up: child "${details.child}" failed again after ${details.restarts} restarts within ${details.withinMs} ms (max ${details.maxRestarts}): ${details.cause.message}`,
      { cause: details.cause, details: { position: details.position, child: details.child, restarts: details.restarts, maxRestarts: details.maxRestarts, withinMs: details.withinMs, error: details.cause.toJSON() } },
    );
  }
}

export interface SupervisorEnvironment {
  position: string;
  signal: AbortSignal;
  now(): number;
  /** A context for child `index` in restart generation `generation`: its steps get their own keys. */
  childContext(index: number, generation: number, signal: AbortSignal): WorkflowContext;
}

type ChildState = { status: "pending" } | { status: "running"; controller: AbortController; done: Promise<void> } | { status: "completed"; value: unknown } | { status: "failed"; error: CadreError };

/**
 * Runs children concurrently and restarts them per the strategy until every child has
 * completed (or, if temporary, failed). Restarted children run in a new generation, so
 * their steps are fresh attempts with new keys, and a resumed run replays the same history.
 */
export async function supervise<T>(environment: SupervisorEnvironment, options: SupervisorOptions, children: Array<ChildSpec<T>>): Promise<SupervisorResult<T>> {
  const maxRestarts = options.maxRestarts ?? 3;
  const withinMs = options.withinMs ?? 5_000;
  const ids = new Set(children.map((child) => child.id));
  if (ids.size !== children.length) throw new CadreError("CONFIGURATION", "configuration", `Supervisor at step ${environment.position} has duplicate child ids.`);
  const states: ChildState[] = children.map(() => ({ status: "pending" }));
  const generations = children.map(() => 0);
  const restartTimes: number[] = [];
  let restarts = 0;
  const exits: Array<{ index: number; generation: number; ok: boolean; value?: unknown; error?: CadreError; suspension?: RunSuspended }> = [];
  let wake: (() => void) | undefined;

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
      throw new AbortedError(`Supervisor at step ${environment.position} was aborted.`);
    }
    states.forEach((state, index) => state.status === "pending" && start(index));
    if (!states.some((state) => state.status === "running")) break;
    if (exits.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const exit = exits.shift();
    if (!exit || exit.generation !== generations[exit.index]) continue; // an exit of a child we already stopped
    const child = children[exit.index]!;
    const restart = child.restart ?? "permanent";
    if (exit.suspension) {
      // Waiting for a person or an event is not a crash: park the whole tree.
      await stopAll();
      throw exit.suspension;
    }
    if (exit.ok) {
      states[exit.index] = { status: "completed", value: exit.value };
      continue;
    }
    if (restart === "temporary") {
      states[exit.index] = { status: "failed", error: exit.error! };
      continue;
    }
    const now = environment.now();
    restartTimes.push(now);
    while (restartTimes.length > 0 && restartTimes[0]! <= now - withinMs) restartTimes.shift();
    if (restartTimes.length > maxRestarts) {
      states[exit.index] = { status: "failed", error: exit.error! };
      await stopAll();
      throw new SupervisorError({ position: environment.position, child: child.id, restarts, maxRestarts, withinMs, cause: exit.error! });
    }
    restarts += 1;
    for (const index of restartSet(options.strategy, children, states, exit.index)) {
      await stop(index);
      generations[index]! += 1;
      states[index] = { status: "pending" };
    }
  }

  const results: Record<string, T> = {};
  const failures: Record<string, CadreError> = {};
  states.forEach((state, index) => {
    if (state.status === "completed") results[children[index]!.id] = state.value as T;
    if (state.status === "failed") failures[children[index]!.id] = state.error;
  });
  return { results, failures, restarts };
}

/** Which children restart when `failed` fails. */
function restartSet(strategy: SupervisionStrategy, children: ChildSpec<unknown>[], states: ChildState[], failed: number): number[] {
  if (strategy === "one-for-one") return [failed];
  const from = strategy === "one-for-all" ? 0 : failed;
  const chosen: number[] = [];
  for (let index = from; index < children.length; index += 1) {
    if (index === failed) {
      chosen.push(index);
      continue;
    }
    const restart = children[index]!.restart ?? "permanent";
    if (restart === "temporary") continue;
    if (restart === "transient" && states[index]!.status === "completed") continue;
    chosen.push(index);
  }
  return chosen;
}
