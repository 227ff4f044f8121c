import type { ModelMessage } from "ai";

/** One model call as a model-backed agent asks for it. */
export interface ModelRequest {
  system: string;
  messages: ModelMessage[];
  /** Tool names the model may call this turn (the agent's declared tools). */
  toolNames: string[];
  maxOutputTokens: number;
  temperature?: number;
  /**
   * The JSON Schema (an object at the root) a final answer must match, asked of the provider
   * as its structured-output response format on every turn; a provider configured without
   * structured outputs does not send it. Absent for text answers and non-object schemas.
   */
  answerSchema?: Record<string, unknown>;
}

/** One model call's result, exactly as journaled: replay rebuilds the conversation from it. */
export interface ModelTurn {
  text: string;
  toolCalls: Array<{ toolCallId: string; toolName: string; input: unknown }>;
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
  /** The assistant message(s) to append to the conversation. */
  responseMessages: ModelMessage[];
}

/** A model call as a durable, governed step: journaled, priced, reserved and settled. */
export interface AgentModel {
  /** `provider:model-id`. */
  readonly id: string;
  generate(request: ModelRequest): Promise<ModelTurn>;
}
