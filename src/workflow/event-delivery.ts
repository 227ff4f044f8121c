import { getRunRecord } from "../engine/run-records.ts";
import { CadreError, toCadreError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { Workflow } from "./define-workflow.ts";
import { runsWaitingFor, subscriberRunId, type PublishedEvent } from "./events.ts";
import { settledHandle, type RunHandle } from "./run-handle.ts";

/**
 * Delivers a published event: runs parked waiting for its topic are woken, and every
 * workflow subscribed to the topic starts once (its run id derives from the event, so a
 * repeated delivery starts nothing new).
 */
export class EventDelivery {
  readonly #store: Store;
  readonly #subscriptions = new Map<string, Set<Workflow>>();
  readonly #knows: (workflow: string) => boolean;
  readonly #wake: (runId: string) => Promise<RunHandle | undefined>;
  readonly #start: (workflow: Workflow, input: unknown, runId: string) => Promise<RunHandle>;

  constructor(options: { store: Store; knows(workflow: string): boolean; wake(runId: string): Promise<RunHandle | undefined>; start(workflow: Workflow, input: unknown, runId: string): Promise<RunHandle> }) {
    this.#store = options.store;
    this.#knows = options.knows;
    this.#wake = options.wake;
    this.#start = options.start;
  }

  subscribe(topic: string, workflow: Workflow): () => void {
    const set = this.#subscriptions.get(topic) ?? new Set<Workflow>();
    set.add(workflow);
    this.#subscriptions.set(topic, set);
    return () => set.delete(workflow);
  }

  /** The handles of the runs the event resumed or started. */
  async deliver(event: PublishedEvent): Promise<RunHandle[]> {
    const handles: RunHandle[] = [];
    const woken = new Set<string>();
    for (const runId of await runsWaitingFor(this.#store.db, event.topic, event.seq)) {
      const run = await getRunRecord(this.#store.db, runId);
      if (!run || !this.#knows(run.workflow)) continue;
      // A run (or the parent waiting on it) whose workflow this runtime lacks stays parked for one that has it.
      const handle = await this.#wake(runId).catch((error: unknown) => {
        if (CadreError.is(error) && error.code === "UNKNOWN_WORKFLOW") return undefined;
        throw error;
      });
      if (handle && !woken.has(handle.runId)) handles.push(handle);
      if (handle) woken.add(handle.runId);
    }
    for (const workflow of this.#subscriptions.get(event.topic) ?? []) {
      const runId = subscriberRunId(event.seq, workflow.name);
      if (await getRunRecord(this.#store.db, runId)) continue;
      try {
        handles.push(await this.#start(workflow, event.data, runId));
      } catch (thrown) {
        // One subscriber refusing the event (its input schema, its budget) does not stop the others.
        handles.push(settledHandle({ runId, status: "failed", error: toCadreError(thrown).toJSON() }));
      }
    }
    return handles;
  }
}
