import {
  APICallError,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4Content,
  type LanguageModelV4FinishReason,
  type LanguageModelV4GenerateResult,
  type LanguageModelV4StreamPart,
  type LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { ScriptExhaustedError, nextScriptedResponse, scriptedDelay, textPieces, untilAborted, toScriptedOutcome, type Script, type ScriptedOutcome } from "./scripted-response.ts";

export interface ScriptedModelOptions {
  /** The same scripted responses the scripted server takes; a function gets the AI SDK call options. */
  script: Script<LanguageModelV4CallOptions>;
  /** Defaults to `"scripted"`. */
  provider?: string;
  /** Defaults to `"model"`. */
  modelId?: string;
}

/** An AI SDK language model (provider spec v4) answering from a script, in process. */
export interface ScriptedModel extends LanguageModelV4 {
  /** The call options of every `doGenerate` and `doStream` call, in order. */
  readonly calls: LanguageModelV4CallOptions[];
  readonly callCount: number;
}

/**
 * A scripted model for unit tests of turn logic without HTTP: pass it to `generateText` or
 * `streamText`, or as a configured model instance. Scripted errors are thrown as the
 * `APICallError` an HTTP provider would throw (429 and 5xx retryable), so set `maxRetries: 0`
 * to keep the SDK from consuming further responses on retry.
 */
export function createScriptedModel(options: ScriptedModelOptions): ScriptedModel {
  const provider = options.provider ?? "scripted";
  const modelId = options.modelId ?? "model";
  const calls: LanguageModelV4CallOptions[] = [];
  const url = `scripted://${provider}/${modelId}`;

  const answer = async (callOptions: LanguageModelV4CallOptions) => {
    const index = calls.length;
    calls.push(callOptions);
    let outcome: ScriptedOutcome;
    try {
      const jsonSchemaRequested = callOptions.responseFormat?.type === "json" && callOptions.responseFormat.schema !== undefined;
      const scripted = await nextScriptedResponse(options.script, callOptions, index);
      outcome = toScriptedOutcome(scripted, { prompt: JSON.stringify(callOptions.prompt), callNumber: index + 1, jsonSchemaRequested });
    } catch (error) {
      if (!(error instanceof ScriptExhaustedError)) throw error;
      throw new APICallError({ message: error.message, url, requestBodyValues: callOptions.prompt, statusCode: error.status, cause: error });
    }
    if (!(await scriptedDelay(outcome.delayMs, callOptions.abortSignal))) {
      throw callOptions.abortSignal?.reason ?? new DOMException("The operation was aborted.", "AbortError");
    }
    if (outcome.kind === "error") {
      const body = { error: { message: outcome.message, type: outcome.type, param: null, code: outcome.code } };
      throw new APICallError({ message: outcome.message, url, requestBodyValues: callOptions.prompt, statusCode: outcome.status, responseBody: JSON.stringify(body), data: body });
    }
    return { outcome, response: { id: `scripted-${index + 1}`, modelId, timestamp: new Date() } };
  };

  return {
    specificationVersion: "v4",
    provider,
    modelId,
    supportedUrls: {},
    calls,
    get callCount() {
      return calls.length;
    },
    async doGenerate(callOptions): Promise<LanguageModelV4GenerateResult> {
      const { outcome, response } = await answer(callOptions);
      const content: LanguageModelV4Content[] = [];
      if (outcome.text) content.push({ type: "text", text: outcome.text });
      for (const call of outcome.toolCalls) content.push({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: call.arguments });
      return { content, finishReason: finishReason(outcome), usage: modelUsage(outcome), response, warnings: [] };
    },
    async doStream(callOptions) {
      const { outcome, response } = await answer(callOptions);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }, { type: "response-metadata", ...response }];
      if (outcome.stallAfterPieces !== undefined) {
        // Cut off mid-answer: some pieces, then nothing (no finish, no usage) until the call is aborted.
        const sent = textPieces(outcome.text ?? "").slice(0, outcome.stallAfterPieces);
        const signal = callOptions.abortSignal;
        const stream = new ReadableStream<LanguageModelV4StreamPart>({
          async start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.enqueue({ type: "text-start", id: "text-0" });
            for (const piece of sent) controller.enqueue({ type: "text-delta", id: "text-0", delta: piece });
            await untilAborted(signal);
            controller.error(signal?.reason ?? new DOMException("The operation was aborted.", "AbortError"));
          },
        });
        return { stream };
      }
      if (outcome.text) {
        parts.push({ type: "text-start", id: "text-0" });
        for (const piece of textPieces(outcome.text)) parts.push({ type: "text-delta", id: "text-0", delta: piece });
        parts.push({ type: "text-end", id: "text-0" });
      }
      for (const call of outcome.toolCalls) {
        parts.push({ type: "tool-input-start", id: call.id, toolName: call.name }, { type: "tool-input-delta", id: call.id, delta: call.arguments }, { type: "tool-input-end", id: call.id });
        parts.push({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: call.arguments });
      }
      parts.push({ type: "finish", finishReason: finishReason(outcome), usage: modelUsage(outcome) });
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  };
}

type Answer = Extract<ScriptedOutcome, { kind: "answer" }>;

const unifiedFinishReasons = { stop: "stop", length: "length", tool_calls: "tool-calls", content_filter: "content-filter" } as const;

function finishReason(outcome: Answer): LanguageModelV4FinishReason {
  return { unified: unifiedFinishReasons[outcome.finishReason], raw: outcome.finishReason };
}

function modelUsage(outcome: Answer): LanguageModelV4Usage {
  const { promptTokens, completionTokens, cachedTokens, reasoningTokens } = outcome.usage;
  return {
    inputTokens: { total: promptTokens, noCache: promptTokens - cachedTokens, cacheRead: cachedTokens, cacheWrite: undefined },
    outputTokens: { total: completionTokens, text: completionTokens - reasoningTokens, reasoning: reasoningTokens },
  };
}
