import { getRunRecord } from "../engine/run-records.ts";
import type { RunStatus } from "../store/schema.ts";
import { decideApproval, listPendingApprovals, type PendingApproval, type RecordedApprovalDecision } from "../workflow/approvals.ts";
import { waitingRoot } from "../workflow/wake.ts";
import type { OperatorContext } from "./operator-context.ts";

/**
 * A decision recorded, and what continues the run: resuming needs the workflow's code, so it
 * is left to a Runtime that has it (`runtime.wake(runId)` or `cadre resume <resume.runId>`).
 */
export interface ApprovalOutcome {
  runId: string;
  name: string;
  decision: RecordedApprovalDecision;
  /** The run to resume: the outermost run waiting on this one (a child's wait parks its parents). */
  resume: { runId: string; workflow: string; status: RunStatus };
}

/** Human-in-the-loop: the approvals runs wait for, and the decisions on them. */
export class ApprovalOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Approvals waiting for a decision, oldest first; of one run only with `runId`. */
  pending(options: { runId?: string } = {}): Promise<PendingApproval[]> {
    return listPendingApprovals(this.#context.store, options);
  }

  /** Approves; audited as `approval.granted` by the operator's principal. */
  approve(runId: string, name: string, options: { note?: string } = {}): Promise<ApprovalOutcome> {
    return this.#decide(runId, name, true, options.note);
  }

  /** Rejects (the run's `ctx.approval` throws APPROVAL_REJECTED when it resumes); audited as `approval.rejected`. */
  reject(runId: string, name: string, options: { note?: string } = {}): Promise<ApprovalOutcome> {
    return this.#decide(runId, name, false, options.note);
  }

  /** Throws UNKNOWN_RUN when the run waits for no such approval, APPROVAL_DECIDED when it was decided already. */
  async #decide(runId: string, name: string, approved: boolean, note: string | undefined): Promise<ApprovalOutcome> {
    const { store, principal } = this.#context;
    const decision = await decideApproval(store, { runId, name, approved, by: principal, note, now: this.#context.now() });
    const root = (await getRunRecord(store.db, await waitingRoot(store.db, runId)))!;
    return { runId, name, decision, resume: { runId: root.id, workflow: root.workflow, status: root.status } };
  }
}
