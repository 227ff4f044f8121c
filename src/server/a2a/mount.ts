import { A2A_VERSION_HEADER, formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS, type AgentCard } from "@a2a-js/sdk";
import { JsonRpcTransportHandler, ServerCallContext, validateVersion } from "@a2a-js/sdk/server";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Operator } from "../../operator/operator.ts";
import type { ExposedTarget } from "../../workflow/exposure.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { devOperator, type ServerAuth } from "../auth.ts";
import type { FailedAttempts } from "../failed-attempts.ts";
import { authenticateCaller, type Caller } from "../exposed-calls.ts";
import { errorResponse } from "../http-errors.ts";
import { RequestTooLargeError, RouteNotFoundError } from "../server-errors.ts";
import { cardJson, deploymentCard, targetCard } from "./agent-cards.ts";
import { CadreA2AHandler, CallerUser } from "./request-handler.ts";
import { jsonRpcCodeFor, toWireError } from "./wire-errors.ts";

export interface A2AMountOptions {
  runtime: Runtime;
  operator: Operator;
  /** `{ mode: "dev" }`: every caller is the local admin; otherwise a bearer operator key or agent credential. */
  auth: ServerAuth;
  maxBodyBytes?: number;
  /** The server's count of failed authentications per address: a caller guessing secrets here is RATE_LIMITED as on /api. */
  failures?: FailedAttempts;
  /** How often a streamed run's record is read again (default 500 ms). */
  pollMs?: number;
}

type JsonRpcResponse = { jsonrpc: string; id: string | number | null; result?: unknown; error?: { code: number; message: string; data?: unknown[] } };

/**
 * A2A v1.0 (JSON-RPC binding) beside the API, on the routes x402 prices:
 *   GET  /.well-known/agent-card.json             the deployment's card: every A2A target as a skill of /a2a
 *   GET  /a2a/<name>/.well-known/agent-card.json  one target's card
 *   POST /a2a                                     JSON-RPC, routed by the message's `skill` metadata (or the sole skill)
 *   POST /a2a/<name>                              JSON-RPC for one target
 * The SDK's transport-agnostic JSON-RPC handler does the protocol; Cadre's handler maps tasks onto runs.
 */
export function mountA2A(app: Hono<any>, options: A2AMountOptions): void {
  const targets = options.runtime.exposed.filter((target) => target.via.includes("a2a"));
  const byName = new Map(targets.map((target) => [target.name, target]));
  const origin = (http: Context) => new URL(http.req.url).origin;
  const notFound = (http: Context) => http.json(errorResponse(new RouteNotFoundError({ method: http.req.method, path: http.req.path })).body, 404);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  app.use("/a2a", bodyLimit({ maxSize: maxBodyBytes, onError: (http) => http.json(errorResponse(new RequestTooLargeError({ maxBytes: maxBodyBytes })).body, 413) }));
  app.use("/a2a/*", bodyLimit({ maxSize: maxBodyBytes, onError: (http) => http.json(errorResponse(new RequestTooLargeError({ maxBytes: maxBodyBytes })).body, 413) }));

  const serveCard = (http: Context, card: AgentCard) => {
    http.header("cache-control", "no-cache");
    return http.json(cardJson(card) as object);
  };
  app.get("/.well-known/agent-card.json", (http) => serveCard(http, deploymentCard(targets, origin(http))));
  app.get("/a2a/.well-known/agent-card.json", (http) => serveCard(http, deploymentCard(targets, origin(http))));
  app.get("/a2a/:name/.well-known/agent-card.json", (http) => {
    const target = byName.get(http.req.param("name"));
    return target ? serveCard(http, targetCard(target, origin(http))) : notFound(http);
  });
  // A priced target is called only at its own endpoint, where x402 charges for it (server/x402/seller.ts).
  const freeTargets = targets.filter((target) => target.price === 0);
  app.post("/a2a", (http) => handleJsonRpc(http, options, freeTargets, deploymentCard(targets, origin(http))));
  app.post("/a2a/:name", async (http) => {
    const target = byName.get(http.req.param("name"));
    return target ? handleJsonRpc(http, options, [target], targetCard(target, origin(http))) : notFound(http);
  });
}

async function handleJsonRpc(http: Context, options: A2AMountOptions, targets: readonly ExposedTarget[], card: AgentCard): Promise<Response> {
  let caller: Caller;
  try {
    caller = await callerOf(http, options);
  } catch (error) {
    const { status, body } = errorResponse(error);
    if (status === 401) http.header("www-authenticate", 'Bearer realm="cadre"');
    if (body.error.code === "RATE_LIMITED") http.header("retry-after", String(Math.ceil(Number(body.error.details.retryAfterMs ?? 1000) / 1000)));
    return http.json(withCadreCode({ jsonrpc: "2.0", id: null, error: JsonRpcTransportHandler.mapToJSONRPCError(toWireError(error)) }), status as 401 | 429);
  }
  const context = new ServerCallContext({ user: new CallerUser(caller), requestedVersion: http.req.header(A2A_VERSION_HEADER) || undefined });
  const body = await http.req.text();
  try {
    validateVersion(context.requestedVersion, card, "JSONRPC");
  } catch (error) {
    return http.json({ jsonrpc: "2.0", id: requestId(body), error: JsonRpcTransportHandler.mapToJSONRPCError(error) });
  }
  const handler = new CadreA2AHandler({ runtime: options.runtime, operator: options.operator, targets, card, pollMs: options.pollMs });
  const answer = await new JsonRpcTransportHandler(handler).handle(body, context);
  if (!isStream(answer)) return http.json(withCadreCode(answer as JsonRpcResponse));
  return sse(http, answer as AsyncGenerator<JsonRpcResponse, void, undefined>, requestId(body));
}

/** Server-sent events of a stream; an error before the first event is a plain JSON-RPC error, as the SDK answers it. */
async function sse(http: Context, stream: AsyncGenerator<JsonRpcResponse, void, undefined>, id: string | number | null): Promise<Response> {
  let first: IteratorResult<JsonRpcResponse, void>;
  try {
    first = await stream.next();
  } catch (error) {
    return http.json(withCadreCode({ jsonrpc: "2.0", id, error: JsonRpcTransportHandler.mapToJSONRPCError(toWireError(error)) }));
  }
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(encoder.encode(formatSSEEvent(first.value)));
    },
    async pull(controller) {
      try {
        const next = await stream.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(formatSSEEvent(next.value)));
      } catch (error) {
        controller.enqueue(encoder.encode(formatSSEErrorEvent(withCadreCode({ jsonrpc: "2.0", id, error: JsonRpcTransportHandler.mapToJSONRPCError(toWireError(error)) }))));
        controller.close();
      }
    },
    async cancel() {
      // The client went away: stop following the run (the run itself goes on).
      await stream.return(undefined);
    },
  });
  return new Response(first.done ? "" : body, { status: 200, headers: SSE_HEADERS });
}

async function callerOf(http: Context, options: A2AMountOptions): Promise<Caller> {
  if (options.auth.mode === "dev") return { kind: "operator", name: options.auth.operator ?? devOperator, role: "admin" };
  const address = (http.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "local";
  options.failures?.check(address);
  const header = http.req.header("authorization");
  const secret = header === undefined ? undefined : (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "");
  try {
    return await authenticateCaller(options.operator, secret);
  } catch (error) {
    if (secret) options.failures?.record(address);
    throw error;
  }
}

/** Cadre's own refusals get a JSON-RPC code of their own (see wire-errors.ts) instead of "internal error". */
function withCadreCode(response: JsonRpcResponse): JsonRpcResponse {
  const reason = (response.error?.data?.[0] as { reason?: unknown } | undefined)?.reason;
  const code = typeof reason === "string" ? jsonRpcCodeFor(reason) : undefined;
  if (response.error && code !== undefined) response.error.code = code;
  return response;
}

function requestId(body: string): string | number | null {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" || typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

const isStream = (value: unknown): boolean => typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
