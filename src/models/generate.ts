import type { LanguageModel, ModelMessage as SdkModelMessage, OutputInterface, ToolSet } from "ai";
import { z } from "zod";
import type { ModelRequest, ModelTurn } from "./model-turn.ts";
import { CadreError } from "../errors.ts";
import type { Tool } from "../governance/define-tool.ts";

/** Tools as the model sees them: name, description, JSON Schema of the input. No `execute`: the gateway runs them. */
export async function toModelTools(tools: Tool[]): Promise<ToolSet> {
  // The AI SDK loads with the first model call, not with the runtime.
  const { jsonSchema } = await import("ai");
  const set: ToolSet = {};
  for (const tool of tools) {
    set[tool.name] = { description: tool.description, inputSchema: jsonSchema(z.toJSONSchema(tool.input, { io: "input" }) as Parameters<typeof jsonSchema>[0]) };
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

/**
 * One call to the provider through the AI SDK: exactly one step, no SDK retries (the
 * step's own retry policy decides), tool calls returned rather than executed.
 */
type ModelMessages = SdkModelMessage[];

export async function callModel(options: { model: LanguageModel; modelId: string; request: ModelRequest; tools: Tool[]; signal: AbortSignal }): Promise<ModelTurn> {
  const { request } = options;
  const offered = options.tools.filter((tool) => request.toolNames.includes(tool.name));
  const { generateText, stepCountIs } = await import("ai");
  try {
    const result = await generateText({
      model: options.model,
      system: request.system,
      // Journaled JSON of the SDK's own messages (and our user turns): the shapes match, the type is ours.
      messages: request.messages as ModelMessages,
      ...(offered.length > 0 ? { tools: await toModelTools(offered) } : {}),
      ...(request.answerSchema ? { output: answerFormat(request.answerSchema) } : {}),
      maxOutputTokens: request.maxOutputTokens,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      stopWhen: stepCountIs(1),
      maxRetries: 0,
      abortSignal: options.signal,
    });
    return {
      text: result.text,
      toolCalls: result.toolCalls.map((call) => ({ toolCallId: call.toolCallId, toolName: call.toolName, input: call.input })),
      finishReason: result.finishReason,
      usage: { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0, cachedInputTokens: result.usage.inputTokenDetails?.cacheReadTokens ?? 0 },
      responseMessages: JSON.parse(JSON.stringify(result.response.messages)),
    };
  } catch (error) {
    if (CadreError.is(error)) throw error;
    const status = (error as { statusCode?: number }).statusCode;
    throw new CadreError("MODEL_ERROR", `Model ${options.modelId} failed: ${(error as Error).message}`, {
      cause: error,
      // Rate limits and server errors may pass on a retry; bad requests will not.
      retryable: status === undefined || status === 429 || status >= 500,
      details: { model: options.modelId, status },
    });
  }
}
