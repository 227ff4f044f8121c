import { CadreError, type CadreErrorOptions } from "../../errors.ts";

export { RunSuspended } from "../../engine/run-suspended.ts";

/** A person rejected the approval the workflow asked for. Catch it to take another path. */
export class ApprovalRejectedError extends CadreError {
  constructor(details: { name: string; stepKey: string; by: string; note: string | null }, options?: CadreErrorOptions) {
    super("APPROVAL_REJECTED", `Approval "${details.name}" was rejected by ${details.by}${details.note ? `: ${details.note}` : ""}.`, { ...options, details });
  }
}

/** Nobody answered (an approval) or nothing arrived (an event) before the deadline. */
export class WaitTimeoutError extends CadreError {
  constructor(details: { what: string; stepKey: string; deadline: number }, options?: CadreErrorOptions) {
    super("STEP_TIMEOUT", `${details.what} at ${details.stepKey} passed its deadline ${new Date(details.deadline).toISOString()}.`, { ...options, details });
  }
}
