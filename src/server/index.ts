/**
 * `cadre/server`: the HTTP API (`cadre serve`) as a Hono app to mount or listen with. Kept
 * out of the main entry point so a program that only runs workflows never loads Hono.
 */
export { createServer, apiRoutes } from "./app.ts";
export type { CreateServerOptions, CadreApp } from "./app.ts";
export { listen, isLoopback, assertPlaygroundHost } from "./listen.ts";
export type { ListeningServer } from "./listen.ts";
export { keyCookie, devOperator } from "./auth.ts";
export type { ServerAuth, Identity } from "./auth.ts";
export { defineRoute } from "./route.ts";
export type { Route, RouteContext } from "./route.ts";
export { RunEventHub } from "./run-events.ts";
export type { RunEvent, NewRunEvent } from "./run-events.ts";
export { openApiDocument } from "./openapi.ts";
export * as apiSchemas from "./schemas.ts";
export { UnauthenticatedError, ForbiddenError, RouteNotFoundError, RateLimitedError, RequestTooLargeError, MalformedRequestError } from "./server-errors.ts";
export { x402Seller, verifiedPayment, paidRunId, startsWork } from "./x402/index.ts";
export type { X402SellerOptions, VerifiedPayment } from "./x402/index.ts";
