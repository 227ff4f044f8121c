/**
 * Every error Cadre throws is a `CadreError` with a stable `code` and a `fault` that says
 * whose problem it is. Match on `code` (or `CadreError.is`), never on message text.
 *
 * One constructor shape for every subclass: `new XError(details, options?)`.
 * - `details` is one object of the facts, and it is what `toJSON().details` carries (the
 *   journal stores it). A class that can word its own message builds it from the facts
 *   (`new UnknownRunError({ runId })`); a class whose message depends on the situation takes it
 *   as `details.message` (`new ConfigurationError({ message, agent: "scorer", field: "timeoutMs" })`),
 *   which becomes the error's message and is not repeated in `details`. `details.fix`, where the
 *   fix is known, says what to do; it is appended to the message and kept in `details`.
 * - `options` is `{ cause?, retryable?, fault? }`: the cause chain, and the two defaults
 *   (not retryable; the code's fault from `errorCatalog`) when this instance differs.
 * Only `CadreError` itself, the base, takes `(code, message, options)`.
 */
export type ErrorFault = "configuration" | "input" | "budget" | "permission" | "validation" | "model" | "system" | "timeout";

/**
 * Every error code, once: whose fault it is (the default; an error may say otherwise, e.g. an
 * invalid output is the model's fault when a model wrote it) and the HTTP status an API
 * answers with. The CLI's exit code follows the fault (see cli/io.ts).
 */
export const errorCatalog = {
  CONFIGURATION: { fault: "configuration", http: 500 },
  INVALID_INPUT: { fault: "input", http: 422 },
  MALFORMED_REQUEST: { fault: "input", http: 400 },
  INVALID_OUTPUT: { fault: "validation", http: 502 },
  UNKNOWN_WORKFLOW: { fault: "input", http: 404 },
  UNKNOWN_AGENT: { fault: "input", http: 404 },
  UNKNOWN_RUN: { fault: "input", http: 404 },
  STORE_NOT_CADRE: { fault: "configuration", http: 500 },
  STORE_CORRUPT: { fault: "system", http: 500 },
  STORE_TOO_NEW: { fault: "configuration", http: 500 },
  STORE_NOT_FOUND: { fault: "configuration", http: 500 },
  STORE_UNAVAILABLE: { fault: "configuration", http: 503 },
  STORE_CONFIG: { fault: "configuration", http: 500 },
  STORE_READ_ONLY: { fault: "configuration", http: 503 },
  STORE_FULL: { fault: "configuration", http: 507 },
  PAYLOAD_TOO_LARGE: { fault: "input", http: 413 },
  AUDIT_KEY: { fault: "configuration", http: 500 },
  NON_DETERMINISM: { fault: "configuration", http: 409 },
  REPLAY_DIVERGED: { fault: "configuration", http: 409 },
  UNKNOWN_STEP: { fault: "input", http: 404 },
  FORK_INVALID: { fault: "input", http: 400 },
  STEP_FAILED: { fault: "system", http: 502 },
  STEP_TIMEOUT: { fault: "timeout", http: 504 },
  PARALLEL_FAILED: { fault: "system", http: 502 },
  RUN_LEASED: { fault: "input", http: 409 },
  RUN_LEASE_LOST: { fault: "system", http: 409 },
  RUN_NOT_RESUMABLE: { fault: "input", http: 409 },
  RUN_ENDED: { fault: "input", http: 409 },
  PLACEMENT_MISMATCH: { fault: "permission", http: 403 },
  UNAUTHENTICATED: { fault: "permission", http: 401 },
  FORBIDDEN: { fault: "permission", http: 403 },
  NOT_FOUND: { fault: "input", http: 404 },
  RATE_LIMITED: { fault: "input", http: 429 },
  BUDGET_EXCEEDED: { fault: "budget", http: 402 },
  PERMISSION_DENIED: { fault: "permission", http: 403 },
  AGENT_REVOKED: { fault: "permission", http: 403 },
  REVIEW_OVERDUE: { fault: "permission", http: 403 },
  POLICY_DENIED: { fault: "permission", http: 403 },
  POLICY_APPROVAL_REQUIRED: { fault: "permission", http: 403 },
  POLICY_INVALID: { fault: "configuration", http: 500 },
  CIRCUIT_OPEN: { fault: "system", http: 503 },
  BULKHEAD_FULL: { fault: "system", http: 503 },
  SUPERVISOR_FAILED: { fault: "system", http: 502 },
  MAX_TURNS: { fault: "model", http: 502 },
  MODEL_ERROR: { fault: "model", http: 502 },
  PLAN_INVALID: { fault: "validation", http: 422 },
  APPROVAL_REJECTED: { fault: "input", http: 409 },
  APPROVAL_DECIDED: { fault: "input", http: 409 },
  LOOP_LIMIT: { fault: "model", http: 502 },
  CONFLICT: { fault: "validation", http: 409 },
  ABORTED: { fault: "system", http: 503 },
  UNKNOWN_COLLECTION: { fault: "input", http: 404 },
  VECTOR_SEARCH_UNAVAILABLE: { fault: "configuration", http: 501 },
  EVAL_DATASET_INVALID: { fault: "input", http: 400 },
  UNKNOWN_EVAL: { fault: "input", http: 404 },
  INTERNAL: { fault: "system", http: 500 },
  PAYMENT_ABOVE_CAP: { fault: "budget", http: 402 },
  PAYMENT_REFUSED: { fault: "permission", http: 402 },
  PAYMENT_KEY_MISSING: { fault: "configuration", http: 500 },
  MCP_SERVER_UNAVAILABLE: { fault: "system", http: 502 },
  MCP_TOOL_FAILED: { fault: "system", http: 502 },
  REMOTE_AGENT_FAILED: { fault: "system", http: 502 },
} as const satisfies Record<string, { fault: ErrorFault; http: number }>;

export type ErrorCode = keyof typeof errorCatalog;

const marker = Symbol.for("cadre.error");

/** The second argument of every CadreError subclass. */
export interface CadreErrorOptions {
  cause?: unknown;
  /** Whether trying the same thing again may succeed. */
  retryable?: boolean;
  /** Whose fault it is, when it differs from the code's (see errorCatalog). */
  fault?: ErrorFault;
}

/** The base constructor's options: a subclass's options plus the details it built. */
export interface CadreErrorBaseOptions extends CadreErrorOptions {
  /** Extra fields the caller needs to act: run id, step key, agent, budget level... */
  details?: Record<string, unknown>;
}

/**
 * The details of an error whose message the thrower words: the message, the fix when it is
 * known, and any structured fields (agent, tool, workflow, field, runId...).
 */
export interface MessageDetails {
  message: string;
  /** What to do about it, when known; appended to the message. */
  fix?: string;
  [field: string]: unknown;
}

/** Splits message details into the error's message (with the fix appended) and the details it keeps. */
export function messageFromDetails(details: MessageDetails): { message: string; details: Record<string, unknown> } {
  const { message, ...rest } = details;
  return { message: details.fix ? `${message} ${details.fix}` : message, details: rest };
}

export class CadreError extends Error {
  readonly code: ErrorCode;
  readonly fault: ErrorFault;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly [marker] = true;

  constructor(code: ErrorCode, message: string, options: CadreErrorBaseOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fault = options.fault ?? errorCatalog[code].fault;
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
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("CONFIGURATION", message, { ...options, details: facts });
  }
}

/** Input that does not match a schema (workflow input, agent input, tool input). */
export class InputValidationError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("INVALID_INPUT", message, { ...options, details: facts });
  }
}

/** An agent, tool or model produced output that does not match its declared schema. */
export class OutputValidationError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("INVALID_OUTPUT", message, { retryable: true, ...options, details: facts });
  }
}

/** Unexpected failure inside Cadre or its store. */
export class InternalError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("INTERNAL", message, { ...options, details: facts });
  }
}

/**
 * Code that Cadre ran on the workflow's behalf (a step, a tool, a model client) threw
 * something that is not a CadreError. Retryable: such failures are usually transient.
 */
export class StepFailedError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("STEP_FAILED", message, { retryable: true, ...options, details: facts });
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
    const details: MessageDetails = { message: message || error.name, errorName: error.name };
    if (causes.length > 0) details.causes = causes;
    return new StepFailedError(details, { cause: error });
  }
  return new StepFailedError({ message: String(error) });
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
  const error = new CadreError(serialized.code, serialized.message, {
    details: serialized.details,
    retryable: serialized.retryable,
    fault: serialized.fault,
  });
  Object.defineProperty(error, "name", { value: serialized.name });
  return error;
}
