import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { CadreError } from "../errors.ts";
import { openOperator, type Operator } from "../operator/operator.ts";
import type { Runtime } from "../workflow/runtime.ts";
import type { OperatorRole } from "../governance/operator-keys.ts";
import { authenticate, authorize, type Identity, type ServerAuth } from "./auth.ts";
import { FailedAttempts } from "./failed-attempts.ts";
import { errorResponse, invalidRequest } from "./http-errors.ts";
import { ForbiddenError, MalformedRequestError, RequestTooLargeError, RouteNotFoundError } from "./server-errors.ts";
import { openApiDocument } from "./openapi.ts";
import { defineRoute, type Route } from "./route.ts";
import { agentRoutes } from "./routes/agents.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { auditRoutes } from "./routes/audit.ts";
import { keyRoutes } from "./routes/keys.ts";
import { moneyRoutes } from "./routes/money.ts";
import { runRoutes } from "./routes/runs.ts";
import { RunEventHub } from "./run-events.ts";
import { mountDashboard } from "./dashboard/index.ts";
import { x402Seller, type X402SellerOptions } from "./x402/seller.ts";
import { mountMcp } from "./mcp/mount-mcp.ts";
import { mountA2A } from "./a2a/index.ts";

export interface CreateServerOptions {
  /** Starts, resumes and cancels runs; its store is the one the API reads. */
  runtime: Runtime;
  /** The operator API over the runtime's store (default: opened on it); each request acts through it as the caller. */
  operator?: Operator;
  /** Operator keys, or the local playground (`{ mode: "dev" }`: every request is the admin `local`). */
  auth: ServerAuth;
  /** The largest request body in bytes (default 1 MiB): PAYLOAD_TOO_LARGE (413) beyond it. */
  maxBodyBytes?: number;
  /** How often an idle event stream gets a heartbeat comment (default 15 s). */
  heartbeatMs?: number;
  /** Aborted when the server shuts down: event streams end. */
  signal?: AbortSignal;
  /** One line per request (method, path, status, caller, time); never headers or bodies. */
  log?: (line: string) => void;
  /** An error that is not a CadreError (a bug, or a dependency failing): answered as a bare 500, reported here in full (default: console.error). */
  onInternalError?: (error: unknown, request: { method: string; path: string }) => void;
  /** Failed authentications an address may make per window before it gets RATE_LIMITED (default 20 per minute). */
  authFailures?: { limit?: number; windowMs?: number };
  /** The clock (epoch ms), injectable for tests. */
  now?: () => number;
  /** How exposed targets with a price are charged over HTTP (x402 in front of /a2a): the payee name, the facilitator. */
  x402?: X402SellerOptions;
  /** Hostnames besides loopback that /mcp accepts in Host and Origin (DNS-rebinding protection; `cadre serve --allowed-host`). */
  allowedHosts?: string[];
}

/** The request's caller, set once authenticated. */
type Env = { Variables: { identity: Identity } };

/** The app's type: mount more on it with `app.route(...)` (the dashboard at /, MCP at /mcp, A2A under /a2a). */
export type CadreApp = Hono<Env>;

/**
 * The HTTP API as a Hono app: every route of `apiRoutes` under /api, authenticated, checked
 * against its role, its request parsed with its zod schemas, errors answered in one shape.
 * Beside /api, the dashboard's pages (`/`, `/runs/:id`, ...; see dashboard/mount.ts); MCP and A2A mount beside them.
 */
export function createServer(options: CreateServerOptions): CadreApp {
  const now = options.now ?? Date.now;
  const operator = options.operator ?? openOperator({ store: options.runtime.store, now });
  const signal = options.signal ?? new AbortController().signal;
  const events = new RunEventHub({ runtime: options.runtime, operator, now });
  signal.addEventListener("abort", () => events.close(), { once: true });
  const failures = new FailedAttempts({ limit: options.authFailures?.limit ?? 20, windowMs: options.authFailures?.windowMs ?? 60_000, now });
  const routes = apiRoutes({ heartbeatMs: options.heartbeatMs ?? 15_000, signal });
  let document: Record<string, unknown> | undefined;
  const allRoutes: Route[] = [
    ...routes,
    defineRoute({
      method: "get",
      path: "/api/openapi.json",
      summary: "This document",
      tag: "meta",
      role: "public",
      response: z.record(z.string(), z.unknown()),
      handle: async (): Promise<Record<string, unknown>> => (document ??= openApiDocument(allRoutes, { title: "Cadre", version: "0.1.0" })),
    }),
  ];

  const app = new Hono<Env>();
  app.onError((error, http) => {
    const { status, body } = errorResponse(error);
    if (!CadreError.is(error)) (options.onInternalError ?? reportInternalError)(error, { method: http.req.method, path: http.req.path });
    if (body.error.code === "RATE_LIMITED") http.header("retry-after", String(Math.ceil(Number(body.error.details.retryAfterMs ?? 1000) / 1000)));
    return http.json(body, status as 400);
  });
  app.notFound((http) => http.json(errorResponse(new RouteNotFoundError({ method: http.req.method, path: http.req.path })).body, 404));
  if (options.log) app.use("/api/*", accessLog(options.log, now));
  if (options.log) for (const path of ["/a2a", "/a2a/*"]) app.use(path, accessLog(options.log, now));
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (http) => http.json(errorResponse(new RequestTooLargeError({ maxBytes: maxBodyBytes })).body, 413),
    }),
  );
  for (const route of allRoutes) {
    app.on(route.method.toUpperCase(), route.path, async (http) => {
      const address = (http.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "local";
      const identity = route.role === "public" ? undefined : await authenticate(http, { auth: options.auth, operator, failures, address });
      if (identity) {
        http.set("identity", identity);
        authorize(identity, route.role as OperatorRole, `${route.method.toUpperCase()} ${route.path}`);
        if (identity.via === "cookie" && route.method !== "get") requireJsonBody(http);
      }
      const result = await route.handle({
        params: parse(route.params, http.req.param(), "path"),
        query: parse(route.query, http.req.query(), "query"),
        body: route.body ? parse(route.body, await readJson(http), "body") : undefined,
        operator: identity ? operator.as(identity.name) : operator,
        runtime: options.runtime,
        identity: identity ?? { name: "anonymous", role: "viewer", keyId: null, via: "none" },
        events,
        http,
      });
      return result instanceof Response ? result : http.json(result as object, route.status ?? 200);
    });
  }
  mountMcp(app, { runtime: options.runtime, operator, auth: options.auth, allowedHosts: options.allowedHosts, signal, failures, now });
  // In front of the A2A routes: a call that starts priced work is paid for first (see x402/seller.ts).
  const seller = x402Seller({ ...options.x402, runtime: options.runtime, now });
  app.use("/a2a/:name", seller);
  app.use("/a2a/:name/*", seller);
  mountA2A(app, { runtime: options.runtime, operator, auth: options.auth, maxBodyBytes, failures });
  mountDashboard(app, { runtime: options.runtime, operator, auth: options.auth, failures, now });
  return app;
}

/** Every API route, in the order the OpenAPI document lists them. */
export function apiRoutes(options: { heartbeatMs: number; signal: AbortSignal }): Route[] {
  return [...keyRoutes(), ...runRoutes(options), ...approvalRoutes(), ...agentRoutes(), ...moneyRoutes(), ...auditRoutes()];
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: "body" | "query" | "path"): z.output<T> | undefined {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(where, parsed.error);
  return parsed.data;
}

/**
 * A write authenticated by the cookie must say it sends JSON: a page on another site can make
 * a browser send the cookie with a form post, but not with this content type (that needs a
 * CORS preflight, which this server never answers). The header-authenticated API is not exposed to this.
 */
function requireJsonBody(http: Context): void {
  if (/^application\/json\b/i.test(http.req.header("content-type") ?? "")) return;
  throw new ForbiddenError({ message: "A write authenticated by the cadre_operator_key cookie must send Content-Type: application/json (a cross-site form cannot).", reason: "cookie-write-without-json" });
}

/** The body as JSON; an empty body is `{}` (a POST with nothing to say). */
async function readJson(http: Context): Promise<unknown> {
  const text = await http.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError({ message: `The request body is not valid JSON: ${(error as Error).message}. Send a JSON object with Content-Type: application/json.`, where: "body" });
  }
}

function reportInternalError(error: unknown, request: { method: string; path: string }): void {
  console.error(`cadre serve: ${request.method} ${request.path} failed:`, error);
}

function accessLog(log: (line: string) => void, now: () => number) {
  return async (http: Context<Env>, next: () => Promise<void>) => {
    const started = now();
    await next();
    // The path only: no query string, headers or body (a key or a secret never reaches the log).
    log(`${http.req.method} ${http.req.path} ${http.res.status} ${http.get("identity")?.name ?? "-"} ${now() - started}ms`);
  };
}
