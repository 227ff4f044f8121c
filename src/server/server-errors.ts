import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../errors.ts";

// The API's own refusals, one class per code; each answers with its code's status from the error catalog.

/** No operator key, or one that is unknown or revoked (401). */
export class UnauthenticatedError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("UNAUTHENTICATED", message, { ...options, details: facts });
  }
}

/** The caller's role does not include what the request needs (403). */
export class ForbiddenError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("FORBIDDEN", message, { ...options, details: facts });
  }
}

/** No route has this method and path (404). */
export class RouteNotFoundError extends CadreError {
  constructor(details: { method: string; path: string }, options?: CadreErrorOptions) {
    super("NOT_FOUND", `No route ${details.method} ${details.path}. The API is described at /api/openapi.json.`, { ...options, details });
  }
}

/** Too many failed authentications from one address (429); `retryAfterMs` says for how long. */
export class RateLimitedError extends CadreError {
  constructor(details: { address: string; retryAfterMs: number }, options?: CadreErrorOptions) {
    super("RATE_LIMITED", `Too many failed authentications from ${details.address}; try again in ${Math.ceil(details.retryAfterMs / 1000)} s.`, { retryable: true, ...options, details });
  }
}

/** A request body over the server's limit (413). */
export class RequestTooLargeError extends CadreError {
  constructor(details: { maxBytes: number }, options?: CadreErrorOptions) {
    super("PAYLOAD_TOO_LARGE", `The request body is larger than ${details.maxBytes} bytes.`, { ...options, details });
  }
}

/** A request body that is not JSON (400). */
export class MalformedRequestError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("MALFORMED_REQUEST", message, { ...options, details: facts });
  }
}
