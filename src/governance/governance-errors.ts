import { CadreError, type CadreErrorOptions } from "../errors.ts";
import { formatUsd } from "./money.ts";

/** Which budget refused: the call's sub-account, the run, the workflow, or a standing cap. */
export type BudgetLevel = "call" | "run" | "workflow" | "treasury" | "agent-day" | "agent-month";

export class BudgetExceededError extends CadreError {
  constructor(details: { level: BudgetLevel; account: string; askedMicros: number; availableMicros: number; reservedMicros: number; agent?: string | null; runId?: string | null; stepKey?: string | null }, options?: CadreErrorOptions) {
    const retryHelps = details.reservedMicros > 0 && details.reservedMicros + details.availableMicros >= details.askedMicros;
    super(
      "BUDGET_EXCEEDED",
      `The ${details.level} budget (${details.account}) cannot cover ${formatUsd(details.askedMicros)}: ${formatUsd(details.availableMicros)} available` +
        (details.reservedMicros > 0 ? `, ${formatUsd(details.reservedMicros)} held by calls in flight` : "") +
        (retryHelps ? ". A retry may succeed once those calls settle." : ". A retry will not help: raise the budget (cadre budget) or lower the call's cost."),
      { retryable: retryHelps, ...options, details: { ...details, retryHelps } },
    );
  }
}

export class PermissionDeniedError extends CadreError {
  constructor(details: { agent: string; scope: string; resource: string; reason: string; runId?: string | null; stepKey?: string | null }, options?: CadreErrorOptions) {
    super(
      "PERMISSION_DENIED",
      `Agent "${details.agent}" may not use ${details.scope} on "${details.resource}": ${details.reason}. Grant it with the agent's grants, a just-in-time grant on the call, or \`cadre grants\`.`,
      { ...options, details },
    );
  }
}

export class AgentRevokedError extends CadreError {
  constructor(details: { agent: string; reason: string | null; revokedAt: number | null }, options?: CadreErrorOptions) {
    super(
      "AGENT_REVOKED",
      `Agent "${details.agent}" is revoked${details.reason ? ` (${details.reason})` : ""}; its calls are refused. Restore it with \`cadre agents restore ${details.agent}\`.`,
      { ...options, details },
    );
  }
}

export class ReviewOverdueError extends CadreError {
  constructor(details: { agent: string; dueAt: number }, options?: CadreErrorOptions) {
    super(
      "REVIEW_OVERDUE",
      `High-risk agent "${details.agent}" was due for review on ${new Date(details.dueAt).toISOString().slice(0, 10)} and is blocked until reviewed: \`cadre agents review ${details.agent}\`.`,
      { ...options, details },
    );
  }
}
