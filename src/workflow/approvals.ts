import type { CadreError } from "../errors.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { completeWaitingStep, findStepByName, waitingSteps } from "../engine/journal.ts";
import { getRunRecord, runWorkflows } from "../engine/run-records.ts";
import type { Db, Store } from "../store/store.ts";
import { ApprovalAlreadyDecidedError, ApprovalNotPendingError } from "./approval-errors.ts";
import { waitingRoot } from "./wake.ts";

/** An approval a run is waiting for. */
export interface PendingApproval {
  runId: string;
  workflow: string;
  name: string;
  stepKey: string;
  request: unknown;
  requestedAt: number;
  deadline: number | null;
}

/**
 * What `ctx.approval` returns: always an approval. A rejection never comes back as a value,
 * it throws `ApprovalRejectedError` (`APPROVAL_REJECTED`); catch that to take another path.
 */
export interface ApprovalDecision {
  /** Always `true`: a rejected request throws instead of returning. */
  approved: true;
  /** Who decided. */
  by: string;
  note: string | null;
  /** When, in epoch milliseconds. */
  at: number;
}

/** A decision as `decideApproval` (`cadre approve|reject`) records it: an approval or a rejection. */
export type RecordedApprovalDecision = Omit<ApprovalDecision, "approved"> & { approved: boolean };

export async function listPendingApprovals(store: Store, options: { runId?: string } = {}): Promise<PendingApproval[]> {
  const steps = await waitingSteps(store.db, { types: ["approval"], runIds: options.runId === undefined ? undefined : [options.runId] });
  const workflows = await runWorkflows(store.db, steps.map((step) => step.runId));
  return steps.map((step) => {
    const input = (step.input ?? {}) as { request?: unknown; deadline?: number | null };
    return { runId: step.runId, workflow: workflows.get(step.runId) ?? "", name: step.name.replace(/^approval:/, ""), stepKey: step.key, request: input.request, requestedAt: step.startedAt, deadline: input.deadline ?? null };
  });
}

/**
 * Records a decision on a waiting approval, audited with who decided and why. The run picks
 * it up when it resumes (`cadre approve` resumes it at once when it can load the workflow).
 */
export async function decideApproval(store: Store, options: { runId: string; name: string; approved: boolean; by: string; note?: string; now?: number }): Promise<RecordedApprovalDecision> {
  const now = options.now ?? Date.now();
  const decision: RecordedApprovalDecision = { approved: options.approved, by: options.by, note: options.note ?? null, at: now };
  await store.transaction(async (tx) => {
    const step = await findStepByName(tx, { runId: options.runId, name: `approval:${options.name}`, status: "waiting" });
    const run = step ? await getRunRecord(tx, options.runId) : undefined;
    if (!step || !run) throw await notWaitingError(tx, options);
    await completeWaitingStep(tx, { runId: options.runId, key: step.key, attempt: step.attempt, output: decision, at: now });
    await appendAudit(tx, store.dialect, [
      { kind: options.approved ? "approval.granted" : "approval.rejected", at: now, runId: options.runId, stepKey: step.key, workflow: run.workflow, principal: options.by, data: { name: options.name, note: decision.note } },
    ]);
  });
  return decision;
}

/** Why a run cannot take a decision on `name`: decided already (and how), or never asked for. */
async function notWaitingError(db: Db, options: { runId: string; name: string }): Promise<CadreError> {
  const decided = await findStepByName(db, { runId: options.runId, name: `approval:${options.name}`, status: "completed" });
  const decision = decided?.output as { approved: boolean; by: string; at: number; note: string | null } | undefined;
  if (!decided || !decision) {
    return new ApprovalNotPendingError({ runId: options.runId, name: options.name });
  }
  const resumeRunId = await waitingRoot(db, options.runId);
  const [run, root] = [await getRunRecord(db, options.runId), await getRunRecord(db, resumeRunId)];
  return new ApprovalAlreadyDecidedError({
    runId: options.runId,
    name: options.name,
    stepKey: decided.key,
    approved: decision.approved,
    by: decision.by,
    at: decision.at,
    note: decision.note,
    runStatus: run!.status,
    resumeRunId,
    resumeWorkflow: root!.workflow,
  });
}
