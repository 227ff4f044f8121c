import { CadreError } from "../errors.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import type { Db, Store } from "../store/store.ts";
import { ApprovalAlreadyDecidedError } from "./approval-errors.ts";
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
  let query = store.db
    .selectFrom("steps")
    .innerJoin("runs", "runs.id", "steps.run_id")
    .select(["steps.run_id", "runs.workflow", "steps.name", "steps.key", "steps.input", "steps.started_at"])
    .where("steps.type", "=", "approval")
    .where("steps.status", "=", "waiting")
    .orderBy("steps.started_at");
  if (options.runId) query = query.where("steps.run_id", "=", options.runId);
  return (await query.execute()).map((row) => {
    const input = decodeJson<{ request?: unknown; deadline?: number | null }>(row.input) ?? {};
    return { runId: row.run_id, workflow: row.workflow, name: row.name.replace(/^approval:/, ""), stepKey: row.key, request: input.request, requestedAt: Number(row.started_at), deadline: input.deadline ?? null };
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
    const step = await tx
      .selectFrom("steps")
      .innerJoin("runs", "runs.id", "steps.run_id")
      .select(["steps.key", "steps.attempt", "runs.workflow", "runs.principal"])
      .where("steps.run_id", "=", options.runId)
      .where("steps.name", "=", `approval:${options.name}`)
      .where("steps.status", "=", "waiting")
      .executeTakeFirst();
    if (!step) throw await notWaitingError(tx, options);
    await tx
      .updateTable("steps")
      .set({ status: "completed", output: encodeJson(decision), ended_at: now })
      .where("run_id", "=", options.runId)
      .where("key", "=", step.key)
      .where("attempt", "=", step.attempt)
      .execute();
    await appendAudit(tx, store.dialect, [
      { kind: options.approved ? "approval.granted" : "approval.rejected", at: now, runId: options.runId, stepKey: step.key, workflow: step.workflow, principal: options.by, data: { name: options.name, note: decision.note } },
    ]);
  });
  return decision;
}

/** Why a run cannot take a decision on `name`: decided already (and how), or never asked for. */
async function notWaitingError(db: Db, options: { runId: string; name: string }): Promise<CadreError> {
  const decided = await db
    .selectFrom("steps")
    .innerJoin("runs", "runs.id", "steps.run_id")
    .select(["steps.key", "steps.output", "runs.status"])
    .where("steps.run_id", "=", options.runId)
    .where("steps.name", "=", `approval:${options.name}`)
    .where("steps.status", "=", "completed")
    .orderBy("steps.ended_at", "desc")
    .executeTakeFirst();
  const decision = decodeJson<{ approved: boolean; by: string; at: number; note: string | null }>(decided?.output ?? null);
  if (!decided || !decision) {
    return new CadreError("UNKNOWN_RUN", "input", `Run ${options.runId} is not waiting for an approval named "${options.name}". List pending approvals with \`cadre approvals\`.`, {
      details: { runId: options.runId, name: options.name },
    });
  }
  const resumeRunId = await waitingRoot(db, options.runId);
  const root = await db.selectFrom("runs").select("workflow").where("id", "=", resumeRunId).executeTakeFirstOrThrow();
  return new ApprovalAlreadyDecidedError({
    runId: options.runId,
    name: options.name,
    stepKey: decided.key,
    approved: decision.approved,
    by: decision.by,
    at: decision.at,
    note: decision.note,
    runStatus: decided.status,
    resumeRunId,
    resumeWorkflow: root.workflow,
  });
}
