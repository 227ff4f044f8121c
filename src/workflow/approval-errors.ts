import { CadreError, type CadreErrorOptions } from "../errors.ts";
import type { RunStatus } from "../store/schema.ts";

/** Who decided an approval, and how, as `decideApproval` recorded it. */
export interface RecordedDecisionDetails {
  runId: string;
  name: string;
  stepKey: string;
  approved: boolean;
  by: string;
  at: number;
  note: string | null;
  /** The run's status now: `waiting` when nobody has resumed it since the decision. */
  runStatus: RunStatus;
  /** The run to resume to continue (the outermost run waiting on this one), while it is waiting. */
  resumeRunId: string;
  /** The workflow a process needs to resume it. */
  resumeWorkflow: string;
}

/** The run does not wait for an approval of that name (none asked, or it was decided and the run moved on). */
export class ApprovalNotPendingError extends CadreError {
  constructor(details: { runId: string; name: string }, options?: CadreErrorOptions) {
    super("UNKNOWN_RUN", `Run ${details.runId} is not waiting for an approval named "${details.name}". List pending approvals with \`cadre approvals\`.`, { ...options, details });
  }
}

/**
 * An approval was decided already: a second `cadre approve|reject` changes nothing. Says who
 * decided what and when, and what to do if the run has not continued yet.
 */
export class ApprovalAlreadyDecidedError extends CadreError {
  constructor(details: RecordedDecisionDetails, options?: CadreErrorOptions) {
    const decided = `Approval "${details.name}" of run ${details.runId} was already ${details.approved ? "approved" : "rejected"} by ${details.by} at ${new Date(details.at).toISOString()}${details.note ? ` ("${details.note}")` : ""}; nothing was changed.`;
    const next =
      details.runStatus === "waiting"
        ? ` The run has not continued yet: run \`cadre resume ${details.resumeRunId}\` with a --config that defines workflow "${details.resumeWorkflow}" (or let a worker/server pick it up).`
        : ` The run is ${details.runStatus}; see \`cadre show ${details.runId}\`.`;
    super("APPROVAL_DECIDED", decided + next, { ...options, details: { ...details } });
  }
}
