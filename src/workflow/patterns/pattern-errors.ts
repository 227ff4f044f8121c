import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../../errors.ts";

/** A task graph that cannot run: unknown agents, missing dependencies, or a cycle (named). */
export class PlanError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("PLAN_INVALID", message, { ...options, details: facts });
  }
}

/** A loop hit its hard cap, or agents handed work back and forth (ping-pong). */
export class LoopLimitError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("LOOP_LIMIT", message, { ...options, details: facts });
  }
}

/** A compare-and-set write lost: someone else wrote the entry first. Nothing was overwritten. */
export class BoardConflictError extends CadreError {
  constructor(details: { key: string; expectedVersion: number; actualVersion: number; writer: string }, options?: CadreErrorOptions) {
    super("CONFLICT", `Blackboard entry "${details.key}" is at version ${details.actualVersion}, not ${details.expectedVersion}: another writer got there first. Read it again and retry.`, {
      retryable: true,
      ...options,
      details,
    });
  }
}
