import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/server";
import type { Context, Hono } from "hono";
import type { Operator } from "../../operator/operator.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { devOperator, type ServerAuth } from "../auth.ts";
import { authenticateCaller, callerPrincipal, type Caller } from "../exposed-calls.ts";
import { errorResponse } from "../http-errors.ts";
import { ForbiddenError, RouteNotFoundError } from "../server-errors.ts";
import type { FailedAttempts } from "../failed-attempts.ts";
import { createCadreMcpServer } from "./cadre-mcp-server.ts";
import { hostRefusal } from "./host-check.ts";

export interface MountMcpOptions {
  runtime: Runtime;
  operator: Operator;
  auth: ServerAuth;
  /** Hostnames besides the loopback ones that Host and Origin may name (DNS-rebinding protection). */
  allowedHosts?: string[];
  /** Aborted when the server shuts down: every session is closed. */
  signal: AbortSignal;
  /** The API's failed-authentication counter: an address guessing credentials is RATE_LIMITED here too. */
  failures?: FailedAttempts;
  /** A session unused this long (ms) is closed when the next one opens: clients that vanish without DELETE leave nothing behind (default 1 h). */
  sessionIdleMs?: number;
  now?: () => number;
}

/** A live MCP session: its transport and the caller it was opened by (every request on it must be that caller). */
interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  caller: Caller;
  lastUsed: number;
}

/**
 * MCP over streamable HTTP at `/mcp` (stateful sessions: several SSE streams per session, one
 * per request in flight, plus the GET stream). Before the protocol sees a request: Host and
 * Origin must be local or allowed (403 otherwise), and the caller authenticates with
 * `Authorization: Bearer` (an operator key or an agent credential; the local admin in dev mode).
 */
export function mountMcp(app: Hono<any>, options: MountMcpOptions): void {
  const sessions = new Map<string, Session>();
  const now = options.now ?? Date.now;
  const idleMs = options.sessionIdleMs ?? 60 * 60 * 1000;
  const closeIdle = () => {
    for (const [id, session] of sessions) {
      if (now() - session.lastUsed < idleMs) continue;
      sessions.delete(id);
      void session.transport.close().catch(() => {});
    }
  };
  options.signal.addEventListener("abort", () => {
    for (const session of sessions.values()) void session.transport.close().catch(() => {});
    sessions.clear();
  }, { once: true });

  app.all("/mcp", async (http: Context) => {
    const refusal = hostRefusal({ host: http.req.header("host"), origin: http.req.header("origin"), allowed: options.allowedHosts ?? [] });
    if (refusal) return reply(http, new ForbiddenError({ message: refusal, reason: "dns-rebinding-protection", fix: "Add the hostname with `cadre serve --allowed-host <name>`." }));
    let caller: Caller;
    const address = (http.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "local";
    try {
      options.failures?.check(address);
      caller = options.auth.mode === "dev" ? { kind: "operator", name: options.auth.operator ?? devOperator, role: "admin" } : await authenticateCaller(options.operator, bearer(http.req.header("authorization")));
    } catch (error) {
      if ((error as { code?: string }).code === "RATE_LIMITED") {
        http.header("retry-after", String(Math.ceil(Number((error as { details: { retryAfterMs?: number } }).details.retryAfterMs ?? 1000) / 1000)));
        return reply(http, error);
      }
      if (bearer(http.req.header("authorization")) !== undefined) options.failures?.record(address);
      http.header("www-authenticate", 'Bearer realm="cadre"');
      return reply(http, error);
    }
    const sessionId = http.req.header("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId);
      // Per the protocol, an unknown session is a 404: the client starts a new one.
      if (!session) return reply(http, new RouteNotFoundError({ method: http.req.method, path: `/mcp (session ${sessionId} is unknown or ended)` }));
      if (callerPrincipal(session.caller) !== callerPrincipal(caller)) return reply(http, new ForbiddenError({ message: `The MCP session ${sessionId} belongs to another caller.`, reason: "session-caller-mismatch" }));
      session.lastUsed = now();
      return session.transport.handleRequest(http.req.raw);
    }
    closeIdle();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id: string) => void sessions.set(id, { transport, caller, lastUsed: now() }),
      onsessionclosed: (id: string) => void sessions.delete(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createCadreMcpServer({ runtime: options.runtime, caller }).connect(transport);
    return transport.handleRequest(http.req.raw);
  });
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return match?.[1]?.trim();
}

function reply(http: Context, error: unknown): Response {
  const { status, body } = errorResponse(error);
  return http.json(body, status as 400);
}
