/**
 * The HTTP API's shapes, once: requests are parsed with them, and /api/openapi.json is
 * generated from them. Money is integer micro-units (1 USD = 1,000,000), times epoch ms.
 */
export * from "./request-schemas.ts";
export * from "./response-schemas.ts";
