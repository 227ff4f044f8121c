const marker = Symbol.for("cadre.suspension");

/**
 * Thrown through the workflow when a step must wait for the outside world (a human
 * decision, an event, a child run that is itself waiting). It is not a failure: the step is
 * journaled `waiting`, the run is parked as `waiting` and resumes when the answer arrives.
 * Parallel joins and supervisors let it pass through untouched.
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
