/**
 * Every error Cadre throws is a `CadreError` with a stable `code` and a `fault` that says
 * whose problem it is. Match on `code` (or `CadreError.is`), never on message text.
 */
export type ErrorFault = "configuration" | "input" | "budget" | "permission" | "validation" | "model" | "system" | "timeout";

export type ErrorCode =
  | "CONFIGURATION"
  | "INVALID_INPUT"
  | "INVALID_OUTPUT"
  | "UNKNOWN_WORKFLOW"
  | "UNKNOWN_AGENT"
  | "UNKNOWN_RUN"
  | "STORE_NOT_CADRE"
  | "STORE_CORRUPT"
  | "STORE_TOO_NEW"
  | "STORE_NOT_FOUND"
  | "STORE_UNAVAILABLE"
  | "STORE_CONFIG"
  | "STORE_READ_ONLY"
  | "STORE_FULL"
  | "PAYLOAD_TOO_LARGE"
  | "AUDIT_KEY"
  | "NON_DETERMINISM"
  | "STEP_FAILED"
  | "STEP_TIMEOUT"
  | "PARALLEL_FAILED"
  | "RUN_LEASED"
  | "RUN_LEASE_LOST"
  | "RUN_NOT_RESUMABLE"
  | "BUDGET_EXCEEDED"
  | "PERMISSION_DENIED"
  | "AGENT_REVOKED"
  | "REVIEW_OVERDUE"
  | "CIRCUIT_OPEN"
  | "BULKHEAD_FULL"
  | "SUPERVISOR_FAILED"
  | "MAX_TURNS"
  | "MODEL_ERROR"
  | "PLAN_INVALID"
  | "APPROVAL_REJECTED"
  | "APPROVAL_DECIDED"
  | "LOOP_LIMIT"
  | "CONFLICT"
  | "ABORTED"
  | "INTERNAL";

const marker = Symbol.for("cadre.error");

export interface CadreErrorOptions {
  cause?: unknown;
  /** Extra fields the caller needs to act: run id, step key, agent, budget level... */
  details?: Record<string, unknown>;
  /** Whether trying the same thing again may succeed. */
  retryable?: boolean;
}

export class CadreError extends Error {
  readonly code: ErrorCode;
  readonly fault: ErrorFault;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly [marker] = true;

  constructor(code: ErrorCode, fault: ErrorFault, message: string, options: CadreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fault = fault;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  /** True for any CadreError, even one thrown by another copy of the package. */
  static is(value: unknown): value is CadreError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }

  /** A JSON-safe form for the journal, the audit log and `--json` output. */
  toJSON(): SerializedError {
    return { name: this.name, code: this.code, fault: this.fault, message: this.message, retryable: this.retryable, details: this.details };
  }
}

export interface SerializedError {
  name: string;
  code: ErrorCode;
  fault: ErrorFault;
  message: string;
  retryable: boolean;
  details: Record<string, unknown>;
}

/** Wrong or missing configuration: fix the config file, the environment or the definition. */
export class ConfigurationError extends CadreError {
  constructor(message: string, options?: CadreErrorOptions) {
    super("CONFIGURATION", "configuration", message, options);
  }
}

/** Input that does not match a schema (workflow input, agent input, tool input). */
export class InputValidationError extends CadreError {
  constructor(message: string, options?: CadreErrorOptions) {
    super("INVALID_INPUT", "input", message, options);
  }
}

/** An agent, tool or model produced output that does not match its declared schema. */
export class OutputValidationError extends CadreError {
  constructor(message: string, options?: CadreErrorOptions) {
    super("INVALID_OUTPUT", "validation", message, { retryable: true, ...options });
  }
}

/** Unexpected failure inside Cadre or its store. */
export class InternalError extends CadreError {
  constructor(message: string, options?: CadreErrorOptions) {
    super("INTERNAL", "system", message, options);
  }
}

/**
 * Turns anything thrown into a CadreError, keeping CadreErrors as they are. The message
 * carries the error's `cause` chain ("fetch failed: connect ECONNREFUSED 127.0.0.1:4100"):
 * the journal keeps only the message, and the real reason is usually in the cause.
 */
export function toCadreError(error: unknown): CadreError {
  if (CadreError.is(error)) return error;
  if (error instanceof Error) {
    const causes = causeChain(error.cause);
    const message = [error.message, ...causes.map((cause) => cause.message)].filter((part, index, parts) => part !== "" && !parts.slice(0, index).some((earlier) => earlier.includes(part))).join(": ");
    const details: Record<string, unknown> = { errorName: error.name };
    if (causes.length > 0) details.causes = causes;
    return new CadreError("STEP_FAILED", "system", message || error.name, { cause: error, retryable: true, details });
  }
  return new CadreError("STEP_FAILED", "system", String(error), { retryable: true });
}

/** A link of a cause chain, JSON-safe for the journal. */
interface CauseLink {
  name: string;
  message: string;
  code?: string;
}

const maximumCauseDepth = 5;

/** The causes below an error, outermost first; an AggregateError (one per address tried) contributes each of its errors. */
function causeChain(cause: unknown, depth = 0): CauseLink[] {
  if (cause === undefined || cause === null || depth >= maximumCauseDepth) return [];
  if (!(cause instanceof Error)) return [{ name: typeof cause, message: String(cause) }];
  const code = (cause as { code?: unknown }).code;
  const inner = cause instanceof AggregateError ? cause.errors.flatMap((error) => causeChain(error, depth + 1)) : [];
  const message = cause.message || inner.map((link) => link.message).join("; ") || (typeof code === "string" ? code : cause.name);
  const link: CauseLink = typeof code === "string" ? { name: cause.name, message, code } : { name: cause.name, message };
  return [link, ...causeChain(cause.cause, depth + 1)];
}

/** Rebuilds an error read back from the journal, so replay throws what the first run threw. */
export function fromSerializedError(serialized: SerializedError): CadreError {
  const error = new CadreError(serialized.code, serialized.fault, serialized.message, {
    details: serialized.details,
    retryable: serialized.retryable,
  });
  Object.defineProperty(error, "name", { value: serialized.name });
  return error;
}
