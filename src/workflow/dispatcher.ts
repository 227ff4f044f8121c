import type { EventBus } from "../engine/events.ts";
import type { OwnedRun, RunHandle, RunResult } from "./run-handle.ts";
import { RunEventStream } from "./run-events.ts";

/**
 * Decides where an owned run executes. The runtime hands every started or resumed run to
 * its dispatcher; `InProcessDispatcher` executes it here. A queue-backed dispatcher (worker
 * processes) implements the same three methods.
 */
export interface Dispatcher {
  /** Executes the run (or hands it on); the handle resolves when it ends or parks. */
  dispatch(owned: OwnedRun): RunHandle;
  /** The handle of a run being executed through this dispatcher, if any. */
  running(runId: string): RunHandle | undefined;
  /** Aborts the run with `reason` if it executes through this dispatcher, and waits for it to settle. */
  abort(runId: string, reason: unknown): Promise<void>;
  /** Aborts the runs in flight and waits for them to settle. */
  close(): Promise<void>;
}

/** Executes runs in this process, each with its own abort controller, aborted when its lease is lost. */
export class InProcessDispatcher implements Dispatcher {
  readonly #execute: (owned: OwnedRun, signal: AbortSignal) => Promise<RunResult>;
  readonly #settled: (owned: OwnedRun, result: RunResult) => Promise<RunResult>;
  readonly #events: EventBus;
  readonly #active = new Map<string, { controller: AbortController; done: Promise<RunResult>; stream: RunEventStream }>();

  /** `settled` runs after the run has left the active set (it may resume the run again). `events`: the bus a run's handle follows. */
  constructor(options: { execute(owned: OwnedRun, signal: AbortSignal): Promise<RunResult>; settled(owned: OwnedRun, result: RunResult): Promise<RunResult>; events: EventBus }) {
    this.#execute = options.execute;
    this.#settled = options.settled;
    this.#events = options.events;
  }

  dispatch(owned: OwnedRun): RunHandle {
    const controller = new AbortController();
    const { id } = owned.run;
    // Another process took the run over: stop every in-flight effect of this one.
    owned.lease.onLost((error) => controller.abort(error));
    // Listening before the run executes: its first events are emitted before dispatch returns.
    const stream = new RunEventStream(this.#events, id);
    const done = this.#execute(owned, controller.signal)
      .finally(() => this.#active.delete(id))
      .then((result) => this.#settled(owned, result))
      .finally(() => stream.end());
    this.#active.set(id, { controller, done, stream });
    return { runId: id, result: () => done, events: () => stream.iterate() };
  }

  running(runId: string): RunHandle | undefined {
    const active = this.#active.get(runId);
    return active ? { runId, result: () => active.done, events: () => active.stream.iterate() } : undefined;
  }

  async abort(runId: string, reason: unknown): Promise<void> {
    const active = this.#active.get(runId);
    if (!active) return;
    active.controller.abort(reason);
    await active.done.catch(() => {});
  }

  async close(): Promise<void> {
    for (const { controller } of this.#active.values()) controller.abort();
    await Promise.allSettled([...this.#active.values()].map(({ done }) => done));
  }
}
