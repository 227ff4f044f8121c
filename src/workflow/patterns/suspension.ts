import { CadreError } from "../../errors.ts";

const marker = Symbol.for("cadre.suspension");

/**
 * Thrown through the workflow when a step must wait for the outside world (a human
 * decision, an event). It is not a failure: the run is parked as `waiting` and resumes when
 * the decision or event arrives. Parallel joins let it pass through untouched.
 */
export class RunSuspended extends Error {
  readonly [marker] = true;
  readonly stepKey: string;
  readonly reason: string;

  constructor(stepKey: string, reason: string) {
    super(`waiting at ${stepKey}: ${reason}`);
    this.name = "RunSuspended";
    this.stepKey = stepKey;
    this.reason = reason;
  }

  static is(value: unknown): value is RunSuspended {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** A person rejected the approval the workflow asked for. Catch it to take another path. */
export class ApprovalRejectedError extends CadreError {
  constructor(details: { name: string; stepKey: string; by: string; note: string | null }) {
    super("APPROVAL_REJECTED", "input", `Approval "${details.name}" was rejected by ${details.by}${details.note ? `: ${details.note}` : ""}.`, { details });
  }
}

/** Nobody answered (an approval) or nothing arrived (an event) before the deadline. */
export class WaitTimeoutError extends CadreError {
  constructor(details: { what: string; stepKey: string; deadline: number }) {
    super("STEP_TIMEOUT", "timeout", `${details.what} at ${details.stepKey} passed its deadline ${new Date(details.deadline).toISOString()}.`, { details });
  }
}
