import { listLiveWorkers, type WorkerRecord } from "../workers/worker-registry.ts";
import type { OperatorContext } from "./operator-context.ts";

/** A live worker process, with how long ago it was last heard from. */
export interface WorkerView extends WorkerRecord {
  heartbeatAgeMs: number;
}

/** The worker processes (`cadre worker`) sharing this store. */
export class WorkerOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /**
   * Workers that have not stopped and were heard from within `liveWithinMs` (default 15 s: a
   * worker heartbeats every 2 s, so a killed one drops out after a few missed beats).
   */
  async list(options: { liveWithinMs?: number } = {}): Promise<WorkerView[]> {
    const now = this.#context.now();
    const workers = await listLiveWorkers(this.#context.store.db, { now, liveWithinMs: options.liveWithinMs ?? 15_000 });
    return workers.map((worker) => ({ ...worker, heartbeatAgeMs: Math.max(0, now - worker.heartbeatAt) }));
  }
}
