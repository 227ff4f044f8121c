/** Token counts a scripted response reports. Unset, they are estimated from lengths (4 characters a token). */
export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from cache (part of `promptTokens`), reported as `prompt_tokens_details.cached_tokens`. */
  cachedTokens?: number;
  /** Completion tokens spent reasoning (part of `completionTokens`). */
  reasoningTokens?: number;
}

/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  name: string;
  /** The tool input, JSON-encoded on the wire. A string is sent as-is: use it to script malformed arguments. */
  arguments: unknown;
  /** Defaults to `call_<response>_<position>`, stable across runs. */
  id?: string;
}

/** How the scripted answer ended, in OpenAI's words. Defaults to `tool_calls` with tool calls, else `stop`. */
export type ScriptedFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

interface ScriptedAnswerOptions {
  usage?: ScriptedUsage;
  /** Wait this long before answering (an aborted request stops waiting). */
  delayMs?: number;
  finishReason?: ScriptedFinishReason;
  /**
   * When streamed: send this many pieces of the text (16 characters each), then hold the
   * stream open without finishing until the client hangs up: an answer cut off mid-stream,
   * whose usage the provider never reports. Ignored by non-streamed requests.
   */
  stallAfterPieces?: number;
}

/** A scripted response that is not conditional. */
export type ScriptedAnswer =
  | ({ text: string; toolCalls?: ScriptedToolCall[] } & ScriptedAnswerOptions)
  | ({ toolCalls: ScriptedToolCall[]; text?: string } & ScriptedAnswerOptions)
  | ({ json: unknown } & ScriptedAnswerOptions)
  | { error: { status: number; message: string; type?: string; code?: string }; delayMs?: number }
  | ({ delayMs: number } & Omit<ScriptedAnswerOptions, "delayMs">);

/**
 * One scripted model answer: text, tool calls (with or without text), a JSON answer (sent
 * as text), an HTTP error, or only a delay (an empty answer after waiting). Or a choice on
 * the request: `whenJsonSchema` if it asks for a JSON-Schema response format (`response_format:
 * { type: "json_schema" }` on the wire, `responseFormat: { type: "json", schema }` in process),
 * `otherwise` if not, like a server that honours structured output but not prose instructions.
 */
export type ScriptedResponse = ScriptedAnswer | { whenJsonSchema: ScriptedAnswer; otherwise: ScriptedAnswer };

/** Responses consumed in order, or a function choosing one per request (`index` counts from 0). */
export type Script<Request> = readonly ScriptedResponse[] | ((request: Request, index: number) => ScriptedResponse | Promise<ScriptedResponse>);

/** A scripted response read into one shape: what both the HTTP server and the in-process model send. */
export type ScriptedOutcome =
  | {
      kind: "answer";
      text: string | undefined;
      toolCalls: Array<{ id: string; name: string; arguments: string }>;
      finishReason: ScriptedFinishReason;
      usage: Required<ScriptedUsage>;
      delayMs: number;
      stallAfterPieces: number | undefined;
    }
  | { kind: "error"; status: number; message: string; type: string; code: string | null; delayMs: number };

/** Thrown when a script has no response for a request; the message says how many it had. */
export class ScriptExhaustedError extends Error {
  readonly status = 400;
  constructor(index: number, length: number) {
    super(`Scripted model: no response for request ${index + 1}: the script has ${length} response${length === 1 ? "" : "s"}.`);
    this.name = "ScriptExhaustedError";
  }
}

/** The response the script gives request number `index` (from 0). */
export async function nextScriptedResponse<Request>(script: Script<Request>, request: Request, index: number): Promise<ScriptedResponse> {
  if (typeof script === "function") return script(request, index);
  const response = script[index];
  if (!response) throw new ScriptExhaustedError(index, script.length);
  return response;
}

/** Estimated tokens of a text: 4 characters a token, at least 1. */
export function scriptedTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * Reads a scripted response; `prompt` is what the usage estimate measures, `callNumber` numbers
 * tool-call ids, `jsonSchemaRequested` chooses the branch of a conditional response.
 */
export function toScriptedOutcome(scripted: ScriptedResponse, options: { prompt: string; callNumber: number; jsonSchemaRequested: boolean }): ScriptedOutcome {
  const response = "whenJsonSchema" in scripted ? (options.jsonSchemaRequested ? scripted.whenJsonSchema : scripted.otherwise) : scripted;
  const delayMs = response.delayMs ?? 0;
  if ("error" in response) {
    const { status, message } = response.error;
    return { kind: "error", status, message, type: response.error.type ?? errorType(status), code: response.error.code ?? null, delayMs };
  }
  const text = "json" in response ? JSON.stringify(response.json) : "text" in response ? response.text : undefined;
  const toolCalls = ("toolCalls" in response ? (response.toolCalls ?? []) : []).map((call, position) => ({
    id: call.id ?? `call_${options.callNumber}_${position}`,
    name: call.name,
    arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
  }));
  const finishReason = response.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
  const answered = (text ?? "") + toolCalls.map((call) => call.name + call.arguments).join("");
  const usage = {
    promptTokens: response.usage?.promptTokens ?? scriptedTokens(options.prompt),
    completionTokens: response.usage?.completionTokens ?? scriptedTokens(answered),
    cachedTokens: response.usage?.cachedTokens ?? 0,
    reasoningTokens: response.usage?.reasoningTokens ?? 0,
  };
  return { kind: "answer", text, toolCalls, finishReason, usage, delayMs, stallAfterPieces: "stallAfterPieces" in response ? response.stallAfterPieces : undefined };
}

/** The pieces a streamed text is sent in: 16 characters each. */
export function textPieces(text: string): string[] {
  return text.match(/[\s\S]{1,16}/g) ?? [];
}

/** Resolves when `signal` aborts (never without one). */
export function untilAborted(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Waits `ms`, or less if `signal` aborts (then resolves false). */
export function scriptedDelay(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal?.aborted);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function errorType(status: number): string {
  if (status === 400) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}
