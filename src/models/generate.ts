import type { LanguageModel, LanguageModelUsage, ModelMessage as SdkModelMessage, OutputInterface, ToolSet } from "ai";
import { z } from "zod";
import type { ModelRequest, ModelTurn } from "./model-turn.ts";
import { CadreError } from "../errors.ts";
import { ModelBehaviourError } from "./model-errors.ts";
import type { Tool } from "../governance/define-tool.ts";
import type { StreamedUsage } from "./streamed-usage.ts";

/**
 * The name a provider sees: OpenAI, Anthropic and Google accept letters, digits, `_` and `-`
 * only, so `knowledge.search` is offered as `knowledge_search` and mapped back on the way in.
 */
export function providerToolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, "_");
}

/** Tool results name their tool as the provider knows it (Google matches results to calls by name). */
function withProviderToolNames(messages: ModelRequest["messages"]): ModelRequest["messages"] {
  return messages.map((message) =>
    message.role === "tool" && Array.isArray(message.content)
      ? { ...message, content: message.content.map((part) => ("toolName" in part && typeof part.toolName === "string" ? { ...part, toolName: providerToolName(part.toolName) } : part)) }
      : message,
  ) as ModelRequest["messages"];
}

/** A provider's tool call, named as the agent declared the tool. */
function declaredToolCall(options: ModelCallOptions, call: { toolCallId: string; toolName: string; input: unknown }): ModelTurn["toolCalls"][number] {
  const declared = options.tools.find((tool) => providerToolName(tool.name) === call.toolName && options.request.toolNames.includes(tool.name));
  return { toolCallId: call.toolCallId, toolName: declared?.name ?? call.toolName, input: call.input };
}

/** Tools as the model sees them: name, description, JSON Schema of the input. No `execute`: the gateway runs them. */
export async function toModelTools(tools: Tool[]): Promise<ToolSet> {
  // The AI SDK loads with the first model call, not with the runtime.
  const { jsonSchema } = await import("ai");
  const set: ToolSet = {};
  for (const tool of tools) {
    set[providerToolName(tool.name)] = { description: tool.description, inputSchema: jsonSchema(z.toJSONSchema(tool.input, { io: "input" }) as Parameters<typeof jsonSchema>[0]) };
  }
  return set;
}

/**
 * The answer's schema as the call's response format. Not `Output.object`: it parses the answer
 * inside `generateText` and throws on a mismatch, which would lose the turn (its usage, to be
 * settled, and the repair turn). This one hands the text back as it came; the agent loop
 * validates it against the zod schema, the one judge, in both modes.
 */
function answerFormat(schema: Record<string, unknown>): OutputInterface<string, string, never> {
  return {
    name: "object",
    responseFormat: Promise.resolve({ type: "json", name: "answer", schema: schema as never }),
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async ({ text }) => ({ partial: text }),
    createElementStreamTransform: () => undefined,
  };
}

type ModelMessages = SdkModelMessage[];

/** What a model call needs: the resolved model, Cadre's request, the agent's tools, the attempt's signal. */
export interface ModelCallOptions {
  model: LanguageModel;
  modelId: string;
  request: ModelRequest;
  tools: Tool[];
  signal: AbortSignal;
}

/** The AI SDK's call settings for one request: exactly one step, no SDK retries, tools returned rather than executed. */
async function callSettings(options: ModelCallOptions) {
  const { request } = options;
  const offered = options.tools.filter((tool) => request.toolNames.includes(tool.name));
  const { stepCountIs } = await import("ai");
  return {
    model: options.model,
    system: request.system,
    // Journaled JSON of the SDK's own messages (and our user turns): the shapes match, the type is ours.
    messages: withProviderToolNames(request.messages) as ModelMessages,
    ...(offered.length > 0 ? { tools: await toModelTools(offered) } : {}),
    ...(request.answerSchema ? { output: answerFormat(request.answerSchema) } : {}),
    maxOutputTokens: request.maxOutputTokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    stopWhen: stepCountIs(1),
    maxRetries: 0,
    abortSignal: options.signal,
  };
}

/**
 * One call to the provider through the AI SDK: exactly one step, no SDK retries (the
 * step's own retry policy decides), tool calls returned rather than executed.
 */
export async function callModel(options: ModelCallOptions): Promise<ModelTurn> {
  const { generateText } = await import("ai");
  try {
    const result = await generateText(await callSettings(options));
    return {
      text: result.text,
      toolCalls: result.toolCalls.map((call) => declaredToolCall(options, call)),
      finishReason: result.finishReason,
      usage: turnUsage(result.usage),
      responseMessages: JSON.parse(JSON.stringify(result.response.messages)),
    };
  } catch (error) {
    throw modelError(error, options.modelId);
  }
}

/**
 * The same call, streamed: each piece of the answer's text goes to `onText` as it arrives,
 * and `usage` learns what arrived, so an attempt that ends early (aborted, broken off) can
 * still be charged for the tokens the provider produced. The turn returned, and journaled,
 * is the same as `callModel`'s.
 */
export async function streamModel(options: ModelCallOptions & { onText(text: string): void; usage: StreamedUsage }): Promise<ModelTurn> {
  const { streamText } = await import("ai");
  const { usage } = options;
  try {
    const result = streamText({
      ...(await callSettings(options)),
      // Errors come as stream parts (read below); the SDK's default handler would log them to the console.
      onError: () => {},
    });
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") {
        usage.arrived(part.text);
        options.onText(part.text);
      } else if (part.type === "reasoning-delta") usage.arrived(part.text);
      else if (part.type === "tool-input-delta") usage.arrived(part.delta);
      else if (part.type === "finish-step") usage.reported(turnUsage(part.usage));
      else if (part.type === "error") throw part.error;
      else if (part.type === "abort") throw options.signal.reason ?? new DOMException("The model call was aborted.", "AbortError");
    }
    const [text, toolCalls, finishReason, totalUsage, response] = await Promise.all([result.text, result.toolCalls, result.finishReason, result.usage, result.response]);
    return {
      text,
      toolCalls: toolCalls.map((call) => declaredToolCall(options, call)),
      finishReason,
      usage: turnUsage(totalUsage),
      responseMessages: JSON.parse(JSON.stringify(response.messages)),
    };
  } catch (error) {
    throw modelError(error, options.modelId);
  }
}

function turnUsage(usage: LanguageModelUsage): ModelTurn["usage"] {
  return { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, cachedInputTokens: usage.inputTokenDetails?.cacheReadTokens ?? 0 };
}

function modelError(error: unknown, modelId: string): CadreError {
  if (CadreError.is(error)) return error;
  const status = (error as { statusCode?: number }).statusCode;
  return new ModelBehaviourError({ code: "MODEL_ERROR", message: `Model ${modelId} failed: ${(error as Error).message}`, model: modelId, status }, {
    cause: error,
    // Rate limits and server errors may pass on a retry; bad requests will not.
    retryable: status === undefined || status === 429 || status >= 500,
  });
}
