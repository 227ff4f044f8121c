import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted reply of the local OpenAI-compatible server. */
export type ScriptedReply =
  | { text: string; usage?: ScriptedUsage; delayMs?: number }
  | { toolCalls: Array<{ name: string; arguments: unknown }>; usage?: ScriptedUsage; delayMs?: number }
  | { error: { status: number; message: string }; delayMs?: number };

export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
}

/** The chat-completions request body as the server received it. */
export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: "function"; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  [field: string]: unknown;
}

export type Script = ScriptedReply[] | ((request: ChatRequest, index: number) => ScriptedReply | Promise<ScriptedReply>);

export interface ScriptedOpenAIServer {
  /** Base URL to give the provider: `http://127.0.0.1:<port>/v1`. */
  baseURL: string;
  port: number;
  requests: ChatRequest[];
  readonly requestCount: number;
  close(): Promise<void>;
}

const estimate = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol
 * (JSON and SSE streaming, tool calls, usage) from a script: the offline stand-in for a
 * hosted model in tests and examples. It records every request it receives.
 */
export async function startScriptedOpenAIServer(options: { script: Script; port?: number }): Promise<ScriptedOpenAIServer> {
  const requests: ChatRequest[] = [];
  let counter = 0;

  const reply = async (request: ChatRequest, response: ServerResponse) => {
    const index = requests.length;
    requests.push(request);
    const script = options.script;
    const scripted = typeof script === "function" ? await script(request, index) : script[index];
    if (!scripted) return json(response, 500, { error: { message: `script has no reply for request ${index + 1}`, type: "server_error" } });
    if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    if ("error" in scripted) return json(response, scripted.error.status, { error: { message: scripted.error.message, type: "scripted_error" } });
    const id = `chatcmpl-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const promptText = JSON.stringify(request.messages);
    const toolCalls = "toolCalls" in scripted ? scripted.toolCalls.map((call, position) => ({ id: `call_${counter}_${position}`, type: "function" as const, function: { name: call.name, arguments: JSON.stringify(call.arguments) } })) : undefined;
    const text = "text" in scripted ? scripted.text : null;
    const usage = {
      prompt_tokens: scripted.usage?.promptTokens ?? estimate(promptText),
      completion_tokens: scripted.usage?.completionTokens ?? estimate(text ?? JSON.stringify(toolCalls)),
    };
    const finishReason = toolCalls ? "tool_calls" : "stop";
    if (!request.stream) {
      return json(response, 200, {
        id,
        object: "chat.completion",
        created,
        model: request.model,
        choices: [{ index: 0, message: { role: "assistant", content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (delta: unknown, finish: string | null = null, extra: Record<string, unknown> = {}) =>
      response.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
    chunk({ role: "assistant", content: "" });
    if (text) for (const piece of text.match(/.{1,16}/gs) ?? []) chunk({ content: piece });
    toolCalls?.forEach((call, position) => chunk({ tool_calls: [{ index: position, ...call }] }));
    chunk({}, finishReason);
    response.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`);
    response.end("data: [DONE]\n\n");
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "GET" && request.url?.endsWith("/models")) return json(response, 200, { object: "list", data: [{ id: "scripted", object: "model" }] });
      if (request.method !== "POST" || !request.url?.endsWith("/chat/completions")) return json(response, 404, { error: { message: "not found" } });
      let body: ChatRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
      } catch {
        return json(response, 400, { error: { message: "request body is not JSON" } });
      }
      reply(body, response).catch((error: unknown) => json(response, 500, { error: { message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
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

function json(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
