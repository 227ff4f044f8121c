import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { ScriptExhaustedError, nextScriptedResponse, scriptedDelay, textPieces, untilAborted, toScriptedOutcome, type Script, type ScriptedOutcome, type ScriptedResponse } from "./scripted-response.ts";

/** A chat-completions request body as the server received it. */
export interface ChatCompletionRequest {
  model: string;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: "function"; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  /** Structured output: `json_schema` carries the schema the answer must match. */
  response_format?: { type: "text" | "json_object" | "json_schema"; json_schema?: { name: string; schema?: unknown; strict?: boolean; description?: string } };
  [field: string]: unknown;
}

export interface ScriptedOpenAIServerOptions {
  script: Script<ChatCompletionRequest>;
  /** Defaults to a free port. The server listens on 127.0.0.1 only. */
  port?: number;
  /** Model ids `GET /v1/models` lists. Defaults to `["scripted"]`; any model id is answered. */
  models?: string[];
  /**
   * Let the process exit while the server is still open (default false): for a server
   * started by a config file or a script that never closes it.
   */
  unref?: boolean;
}

export interface ScriptedOpenAIServer {
  /** Base URL to give the provider: `http://127.0.0.1:<port>/v1`. */
  readonly baseURL: string;
  readonly port: number;
  /** Every chat-completions request body received, in order, including those answered with an error. */
  readonly requests: ChatCompletionRequest[];
  readonly requestCount: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking OpenAI's chat-completions protocol from a
 * script: `POST /v1/chat/completions` (JSON, or SSE with `stream: true`, usage sent when
 * `stream_options.include_usage` asks) and `GET /v1/models`. The offline stand-in for a
 * hosted model in tests and examples; it records every request body it receives, and a
 * scripted response can depend on the request's `response_format` (`whenJsonSchema`).
 */
export async function startScriptedOpenAIServer(options: ScriptedOpenAIServerOptions): Promise<ScriptedOpenAIServer> {
  const requests: ChatCompletionRequest[] = [];
  const models = options.models ?? ["scripted"];

  const answer = async (request: ChatCompletionRequest, response: ServerResponse, signal: AbortSignal) => {
    const index = requests.length;
    requests.push(request);
    let scripted: ScriptedResponse;
    try {
      scripted = await nextScriptedResponse(options.script, request, index);
    } catch (error) {
      const status = error instanceof ScriptExhaustedError ? error.status : 500;
      return sendError(response, { status, message: error instanceof Error ? error.message : String(error), type: "scripted_server_error", code: null });
    }
    const jsonSchemaRequested = request.response_format?.type === "json_schema" && request.response_format.json_schema?.schema !== undefined;
    const outcome = toScriptedOutcome(scripted, { prompt: JSON.stringify(request.messages), callNumber: index + 1, jsonSchemaRequested });
    if (!(await scriptedDelay(outcome.delayMs, signal))) return;
    if (outcome.kind === "error") return sendError(response, outcome);
    const id = `chatcmpl-scripted-${index + 1}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = wireUsage(outcome.usage);
    if (!request.stream) {
      const message = {
        role: "assistant",
        content: outcome.text ?? null,
        ...(outcome.toolCalls.length > 0 ? { tool_calls: outcome.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })) } : {}),
      };
      return sendJson(response, 200, { id, object: "chat.completion", created, model: request.model, choices: [{ index: 0, message, finish_reason: outcome.finishReason }], usage });
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      response.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, choices, ...extra })}\n\n`);
    const delta = (content: unknown, finishReason: string | null = null) => send([{ index: 0, delta: content, finish_reason: finishReason }]);
    delta({ role: "assistant", content: "" });
    const textPieces = pieces(outcome.text ?? "");
    if (outcome.stallAfterPieces !== undefined) {
      // Cut off mid-answer: some pieces, then nothing (no finish, no usage) until the client hangs up.
      for (const piece of textPieces.slice(0, outcome.stallAfterPieces)) delta({ content: piece });
      await untilAborted(signal);
      return void response.end();
    }
    for (const piece of textPieces) delta({ content: piece });
    // Like OpenAI: the id and name first, then the arguments in fragments.
    outcome.toolCalls.forEach((call, position) => {
      delta({ tool_calls: [{ index: position, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] });
      for (const piece of pieces(call.arguments)) delta({ tool_calls: [{ index: position, function: { arguments: piece } }] });
    });
    delta({}, outcome.finishReason);
    if (request.stream_options?.include_usage) send([], { usage });
    response.end("data: [DONE]\n\n");
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
      if (request.method === "GET" && (path === "/v1/models" || path === "/models")) {
        return sendJson(response, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "cadre-scripted" })) });
      }
      if (path !== "/v1/chat/completions" && path !== "/chat/completions") return sendError(response, { status: 404, message: `No route ${request.method} ${path}.`, type: "not_found_error", code: null });
      if (request.method !== "POST") return sendError(response, { status: 405, message: `Use POST ${path}.`, type: "invalid_request_error", code: null });
      let body: ChatCompletionRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatCompletionRequest;
      } catch {
        return sendError(response, { status: 400, message: "The request body is not JSON.", type: "invalid_request_error", code: null });
      }
      if (typeof body?.model !== "string" || !Array.isArray(body.messages)) {
        return sendError(response, { status: 400, message: "A chat completion needs `model` (a string) and `messages` (an array).", type: "invalid_request_error", code: null });
      }
      // The client hanging up (an aborted call) ends a scripted delay early.
      const disconnected = new AbortController();
      response.on("close", () => disconnected.abort());
      answer(body, response, disconnected.signal).catch((error: unknown) =>
        sendError(response, { status: 500, message: `Scripted server failed: ${error instanceof Error ? error.message : String(error)}`, type: "server_error", code: null }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (options.unref) {
    server.unref();
    // Keep-alive connections from a client's pool would hold the process open too.
    server.on("connection", (socket) => socket.unref());
  }
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get requestCount() {
      return requests.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function wireUsage(usage: Extract<ScriptedOutcome, { kind: "answer" }>["usage"]) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

const pieces = textPieces;

function sendError(response: ServerResponse, error: { status: number; message: string; type: string; code: string | null }): void {
  sendJson(response, error.status, { error: { message: error.message, type: error.type, param: null, code: error.code } });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed) return;
  if (response.headersSent) return void response.end();
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const cliUsage = `Usage: node scripted-openai-server.ts --script responses.json [--port 11434] [--repeat]

Serves an OpenAI-compatible chat-completions API on 127.0.0.1 from a JSON array of scripted
responses ({ "text" }, { "toolCalls" }, { "json" }, { "error" }, { "whenJsonSchema", "otherwise" },
...), in order; --repeat
starts over at the end. Point a client at the printed base URL, e.g. CADRE_OPENAI_BASE_URL.`;

/** `node src/testing/scripted-openai-server.ts --port 11434 --script responses.json [--repeat]` */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { script: { type: "string" }, port: { type: "string" }, repeat: { type: "boolean" }, help: { type: "boolean" } } });
  if (values.help || !values.script) {
    console.log(cliUsage);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const responses = JSON.parse(await readFile(values.script, "utf8")) as unknown;
  if (!Array.isArray(responses) || responses.length === 0) throw new Error(`${values.script} must hold a non-empty JSON array of scripted responses.`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number; got ${values.port}.`);
  const script = values.repeat ? (_request: ChatCompletionRequest, index: number) => responses[index % responses.length] as ScriptedResponse : (responses as ScriptedResponse[]);
  const server = await startScriptedOpenAIServer({ script, port });
  console.log(`Scripted OpenAI-compatible server: ${server.baseURL} (${responses.length} responses${values.repeat ? ", repeating" : ""}). Ctrl-C stops it.`);
  process.once("SIGINT", () => void server.close());
  process.once("SIGTERM", () => void server.close());
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
