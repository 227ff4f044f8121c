/**
 * A message of a model conversation, in the shape the providers exchange (role + content
 * parts). Cadre's own type: the conversation is journaled as JSON and replayed, and the AI
 * SDK's type stays inside models/ (see generate.ts, the one place that hands it over).
 */
export type ModelMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | MessagePart[] }
  | { role: "assistant"; content: string | MessagePart[] }
  | { role: "tool"; content: MessagePart[] };

/** One part of a message's content: text, a tool call, a tool result, or another kind a provider returns. */
export interface MessagePart {
  type: string;
  [field: string]: unknown;
}

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
