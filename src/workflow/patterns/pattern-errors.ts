import { CadreError } from "../../errors.ts";

/** A task graph that cannot run: unknown agents, missing dependencies, or a cycle (named). */
export class PlanError extends CadreError {
  constructor(message: string, details: Record<string, unknown>) {
    super("PLAN_INVALID", message, { details });
  }
}

/** A loop hit its hard cap, or agents handed work back and forth (ping-pong). */
export class LoopLimitError extends CadreError {
  constructor(message: string, details: Record<string, unknown>) {
    super("LOOP_LIMIT", message, { details });
  }
}

/** A compare-and-set write lost: someone else wrote the entry first. Nothing was overwritten. */
export class BoardConflictError extends CadreError {
  constructor(details: { key: string; expectedVersion: number; actualVersion: number; writer: string }) {
    super("CONFLICT", `Blackboard entry "${details.key}" is at version ${details.actualVersion}, not ${details.expectedVersion}: another writer got there first. Read it again and retry.`, {
      details,
      retryable: true,
    });
  }
}
