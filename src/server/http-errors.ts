import type { z } from "zod";
import { CadreError, errorCatalog, InputValidationError, type ErrorCode } from "../errors.ts";

/** The JSON body of every error response: `{ error: { code, message, details } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/**
 * The one place an error becomes a response: a CadreError's status is its code's entry in
 * the error catalog; anything else is INTERNAL (500) with its message withheld, since it may
 * carry what a caller must not see.
 */
export function errorResponse(thrown: unknown): { status: number; body: ErrorBody } {
  if (CadreError.is(thrown)) return { status: errorCatalog[thrown.code].http, body: { error: { code: thrown.code, message: thrown.message, details: thrown.details } } };
  return { status: errorCatalog.INTERNAL.http, body: { error: { code: "INTERNAL", message: "The server failed to handle the request; its log says why.", details: {} } } };
}

/** A request part that does not match its schema, with each problem's path and message. */
export function invalidRequest(where: "body" | "query" | "path", error: z.ZodError): InputValidationError {
  const issues = error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join("."), message: issue.message }));
  const first = issues[0]!;
  return new InputValidationError({ message: `The request's ${where} is invalid at ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}.`, where, issues });
}
