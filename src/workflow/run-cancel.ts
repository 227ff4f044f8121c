import { AbortedError } from "../engine/engine-errors.ts";
import { failWaitingSteps } from "../engine/journal.ts";
import type { RunLease } from "../engine/run-lease.ts";
import { finishRun, type RunRecord } from "../engine/run-records.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { closeRunAccount, recoverRun } from "../governance/run-accounts.ts";
import type { Store } from "../store/store.ts";

/** Who cancelled a run and why: the abort reason its executor sees, and what the audit record says. */
export class RunCancellation extends Error {
  readonly by: string;
  readonly reason: string | null;

  constructor(options: { by: string; reason?: string | null }) {
    super(`The run was cancelled by ${options.by}${options.reason ? `: ${options.reason}` : ""}.`);
    this.name = "RunCancellation";
    this.by = options.by;
    this.reason = options.reason ?? null;
  }

  static is(value: unknown): value is RunCancellation {
    return value instanceof RunCancellation;
  }
}

/** What cancelling one run released and returned. */
export interface CancelledRun {
  runId: string;
  workflow: string;
  releasedHolds: number;
  returnedMicros: number;
  spentMicros: number;
}

/**
 * Records a run's cancellation, fenced by the lease just taken: releases its open holds and
 * the funds of its calls, ends the steps it waited on, marks it cancelled, returns its unspent
 * budget to where it came from and audits `run.cancelled` — one transaction.
 */
export async function recordCancellation(store: Store, lease: RunLease, run: RunRecord, cancellation: RunCancellation, now: number): Promise<CancelledRun> {
  const error = new AbortedError({ message: cancellation.message, runId: run.id, cancelledBy: cancellation.by, reason: cancellation.reason }).toJSON();
  return lease.transaction(async (tx) => {
    const recovered = await recoverRun(tx, { runId: run.id, now });
    const endedWaits = await failWaitingSteps(tx, { runId: run.id, error, at: now });
    await finishRun(tx, run.id, { status: "cancelled", outputJson: null, error, at: now });
    const money = await closeRunAccount(tx, { runId: run.id, workflow: run.workflow, now, parentRunId: run.parentRunId });
    await appendAudit(tx, store.dialect, [
      {
        kind: "run.cancelled",
        at: now,
        runId: run.id,
        workflow: run.workflow,
        principal: cancellation.by,
        data: { reason: cancellation.reason, previousStatus: run.status, releasedHolds: recovered.releasedHolds, endedWaits, spentMicros: money.spent, returnedMicros: money.returned },
      },
    ]);
    return { runId: run.id, workflow: run.workflow, releasedHolds: recovered.releasedHolds, returnedMicros: money.returned, spentMicros: money.spent };
  });
}
