import { A2AError } from "@a2a-js/sdk/errors";
import { CadreError, errorCatalog, toCadreError } from "../../errors.ts";

/**
 * A Cadre refusal on the A2A wire: the JSON-RPC error carries Cadre's message, and its
 * `google.rpc.ErrorInfo` (error.data[0]) has Cadre's code as `reason` (FORBIDDEN,
 * BUDGET_EXCEEDED, INVALID_INPUT, ...) with the fault and HTTP status in `metadata`.
 */
export class CadreWireError extends A2AError {
  override readonly reason: string;

  constructor(error: CadreError) {
    super({ message: error.message, cause: error, metadata: { code: error.code, fault: error.fault, http: String(errorCatalog[error.code].http) } });
    this.reason = error.code;
  }
}

/** JSON-RPC codes for Cadre's errors: the caller's bad input is "invalid params"; any other refusal is -32000 (server error), told apart by `reason`. */
export function jsonRpcCodeFor(reason: string): number | undefined {
  if (!(reason in errorCatalog)) return undefined;
  const fault = errorCatalog[reason as keyof typeof errorCatalog].fault;
  return fault === "input" ? -32602 : -32000;
}

/** Errors the SDK knows pass as they are; a Cadre error (or a bug) is given Cadre's code. */
export function toWireError(error: unknown): unknown {
  if (error instanceof A2AError) return error;
  return new CadreWireError(CadreError.is(error) ? error : toCadreError(error));
}
