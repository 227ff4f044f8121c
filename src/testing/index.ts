export { startScriptedOpenAIServer } from "./scripted-openai-server.ts";
export type { ScriptedOpenAIServer, ScriptedOpenAIServerOptions, ChatCompletionRequest } from "./scripted-openai-server.ts";
export { createScriptedModel } from "./scripted-model.ts";
export type { ScriptedModel, ScriptedModelOptions } from "./scripted-model.ts";
export { ScriptExhaustedError } from "./scripted-response.ts";
export type { Script, ScriptedResponse, ScriptedToolCall, ScriptedUsage, ScriptedFinishReason } from "./scripted-response.ts";

// Earlier names, kept so existing tests and examples compile.
export type { ScriptedResponse as ScriptedReply } from "./scripted-response.ts";
export type { ChatCompletionRequest as ChatRequest } from "./scripted-openai-server.ts";
export { createTestEmbeddingModel, hashEmbedding } from "./test-embedding-model.ts";
export type { TestEmbeddingModel, TestEmbeddingModelOptions } from "./test-embedding-model.ts";
