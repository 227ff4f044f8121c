import { getRunRecord } from "../engine/run-records.ts";
import { toCadreError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { createLogger } from "./logger.ts";
import type { OwnedRun, RunHandle, RunResult } from "./run-handle.ts";
import { answeredWhileParked, childEndLetsParentProgress, earliestDeadline } from "./wake.ts";

/** With workers: resumes and deadline wakes become queued tickets instead of work in this process. */
export interface WakeHandOff {
  resume(runId: string): Promise<void>;
  wakeAt(runId: string, at: number): Promise<void>;
}

/**
 * What happens after a run stops executing here: a run that parked although its answer
 * already arrived resumes at once; a parked run with a deadline is woken when it passes
 * (while this runtime is open); a child run that ended wakes the parent waiting on it.
 */
export class WakeScheduler {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #resume: (runId: string) => Promise<RunHandle>;
  readonly #wake: (runId: string) => Promise<RunHandle | undefined>;
  /** Runs woken while they were still executing here: resumed again once they park. */
  readonly #requested = new Set<string>();
  readonly #deadlines = new Map<string, NodeJS.Timeout>();
  readonly #handOff: WakeHandOff | undefined;
  #closed = false;

  constructor(options: { store: Store; now(): number; resume(runId: string): Promise<RunHandle>; wake(runId: string): Promise<RunHandle | undefined>; handOff?: WakeHandOff }) {
    this.#handOff = options.handOff;
    this.#store = options.store;
    this.#now = options.now;
    this.#resume = options.resume;
    this.#wake = options.wake;
  }

  /** An answer arrived for a run still executing here: look again when it parks. */
  requestWake(runId: string): void {
    this.#requested.add(runId);
  }

  async afterRun(owned: OwnedRun, result: RunResult): Promise<RunResult> {
    const { run, journal } = owned;
    const requested = this.#requested.delete(run.id);
    // A cancelled run wakes nothing: its canceller ends the runs around it.
    if (this.#closed || result.error?.code === "RUN_LEASE_LOST" || result.status === "cancelled") return result;
    try {
      if (result.status === "waiting") {
        if (requested || (await answeredWhileParked(this.#store.db, journal))) {
          if (!this.#handOff) return await (await this.#resume(run.id)).result();
          await this.#handOff.resume(run.id);
          return result;
        }
        await this.#wakeAtDeadline(owned);
        return result;
      }
      // A parent parked on a fan-out of children is woken by the child whose end lets it progress, not by each.
      if (run.parentRunId && (await getRunRecord(this.#store.db, run.parentRunId))?.status === "waiting" && (await childEndLetsParentProgress(this.#store.db, { id: run.id, parentRunId: run.parentRunId }, result.status))) await this.#wake(run.parentRunId);
    } catch (error) {
      // The run and its parent stay resumable; only the automatic wake-up was lost.
      createLogger({ runId: run.id, workflow: run.workflow }).warn(`waking the run after it ended failed: ${toCadreError(error).message}`);
    }
    return result;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#deadlines.values()) clearTimeout(timer);
    this.#deadlines.clear();
  }

  /** A wait with a timeout fails at its deadline: resume the run then. */
  async #wakeAtDeadline(owned: OwnedRun): Promise<void> {
    const { run } = owned;
    const deadline = earliestDeadline(owned.journal);
    if (deadline === undefined) return;
    // A scheduled ticket fires on whichever worker is alive then, even if no process of the run is.
    if (this.#handOff) return this.#handOff.wakeAt(run.id, deadline);
    clearTimeout(this.#deadlines.get(run.id));
    const timer = setTimeout(() => {
      this.#deadlines.delete(run.id);
      getRunRecord(this.#store.db, run.id)
        .then((current) => (current?.status === "waiting" ? this.#wake(run.id) : undefined))
        .catch((error: unknown) => createLogger({ runId: run.id, workflow: run.workflow }).warn(`waking the run at its deadline failed: ${toCadreError(error).message}`));
    }, Math.max(0, deadline - this.#now()) + 1);
    timer.unref();
    this.#deadlines.set(run.id, timer);
  }
}
