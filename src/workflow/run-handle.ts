import type { Journal } from "../engine/journal.ts";
import type { RunLease } from "../engine/run-lease.ts";
import type { RuntimeEvent } from "../engine/events.ts";
import type { RunRecord } from "../engine/run-records.ts";
import type { SerializedError } from "../errors.ts";
import type { RunStatus } from "../store/schema.ts";
import type { Workflow } from "./define-workflow.ts";

/** The final state of a run; a failed run is reported here, not thrown. */
export interface RunResult<O = unknown> {
  runId: string;
  status: RunStatus;
  output?: O;
  error?: SerializedError;
}

export interface RunHandle<O = unknown> {
  runId: string;
  /** Resolves when the run completes, fails or parks waiting for a human. */
  result(): Promise<RunResult<O>>;
  /**
   * The run's events as they happen: steps started and ended, waits, model text as it
   * streams (`model-delta`), the run's end. Starts from the run's first event whenever it is
   * called and ends when `result()` settles. Empty for a run that had already finished.
   */
  events(): AsyncIterable<RuntimeEvent>;
}

/** A run this process owns (its lease, fenced) and is about to execute: from a start, or a resume. */
export interface OwnedRun {
  run: RunRecord;
  workflow: Workflow;
  journal: Journal;
  lease: RunLease;
  resumed: boolean;
}

/** A handle whose result is already known (a finished run, a refused subscriber). */
export function settledHandle<O>(result: RunResult<O>): RunHandle<O> {
  return { runId: result.runId, result: async () => result, events: async function* () {} };
}
