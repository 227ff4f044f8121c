import type { EmbeddingModel } from "ai";
import { CadreError } from "../errors.ts";
import { ModelBehaviourError, ModelConfigurationError } from "./model-errors.ts";
import { openAIBaseURLVariable, openAICompatibleServer, providerApiKeyVariables, requireProviderKey, type ModelConfig } from "./model-registry.ts";
import { costOf, estimateTokens, priceFor, worstCaseCost } from "./pricing.ts";
import type { ModelPrice } from "./prices.ts";

/** What one embedding call returned: a vector per value, and the input tokens it was billed for. */
export interface Embeddings {
  vectors: number[][];
  tokens: number;
}

/**
 * An embedding model as Cadre uses it: its id (the key of prices and cost attribution), its
 * price, and one call that embeds many values. The AI SDK stays behind it, in this folder.
 */
export interface Embedder {
  /** `provider:model-id`. */
  readonly id: string;
  readonly price: ModelPrice;
  embed(values: string[], options?: { signal?: AbortSignal }): Promise<Embeddings>;
  /** The most embedding `values` can cost, in micro-USD (a generous token estimate). */
  worstCaseCost(values: string[]): number;
  /** What `tokens` input tokens cost, in micro-USD. */
  costOf(tokens: number): number;
}

/**
 * Resolves `provider:model-id` to an embedder: a configured instance
 * (`models.embeddingInstances`), an OpenAI-compatible server (`models.providers`), OpenAI or
 * Google. Its price must be known (shipped or `models.prices`), as for language models.
 */
export async function resolveEmbedder(spec: string, config: ModelConfig = {}, environment: NodeJS.ProcessEnv = process.env): Promise<Embedder> {
  const colon = spec.indexOf(":");
  if (colon <= 0 || colon === spec.length - 1) {
    throw new ModelConfigurationError({ message: `Embedding model "${spec}" must be written "provider:model-id", e.g. "openai:text-embedding-3-small".`, reason: "invalid-model-spec", model: spec });
  }
  const price = priceFor(spec, config.prices);
  const instance = config.embeddingInstances && Object.hasOwn(config.embeddingInstances, spec) ? config.embeddingInstances[spec] : undefined;
  const model = instance ?? (await createEmbeddingModel(spec.slice(0, colon), spec.slice(colon + 1), config, environment));
  return {
    id: spec,
    price,
    embed: (values, options) => embedValues(model, spec, values, options?.signal),
    worstCaseCost: (values) => worstCaseCost(price, { estimatedInputTokens: values.reduce((sum, value) => sum + estimateTokens(value), 0), maxOutputTokens: 0 }),
    costOf: (tokens) => costOf(price, { inputTokens: tokens, outputTokens: 0 }),
  };
}

/** One `embedMany` call: no SDK retries (the step's own retry policy decides). */
async function embedValues(model: EmbeddingModel, id: string, values: string[], signal: AbortSignal | undefined): Promise<Embeddings> {
  if (values.length === 0) return { vectors: [], tokens: 0 };
  const { embedMany } = await import("ai");
  try {
    const result = await embedMany({ model, values, maxRetries: 0, abortSignal: signal });
    // A provider that reports no usage is billed on the same generous estimate that was reserved.
    const tokens = result.usage?.tokens ?? values.reduce((sum, value) => sum + estimateTokens(value), 0);
    return { vectors: result.embeddings, tokens };
  } catch (error) {
    if (CadreError.is(error)) throw error;
    const status = (error as { statusCode?: number }).statusCode;
    throw new ModelBehaviourError({ code: "MODEL_ERROR", message: `Embedding model ${id} failed: ${(error as Error).message}`, model: id, status }, {
      cause: error,
      // Rate limits and server errors may pass on a retry; bad requests will not.
      retryable: status === undefined || status === 429 || status >= 500,
    });
  }
}

async function createEmbeddingModel(provider: string, modelId: string, config: ModelConfig, environment: NodeJS.ProcessEnv): Promise<EmbeddingModel> {
  const server = openAICompatibleServer(provider, config);
  if (server) {
    const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
    return createOpenAICompatible({ name: provider, baseURL: server.baseURL, apiKey: server.apiKey }).embeddingModel(modelId);
  }
  switch (provider) {
    case "openai": {
      const baseURL = environment[openAIBaseURLVariable]?.trim();
      if (baseURL) {
        const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
        return createOpenAICompatible({ name: provider, baseURL, apiKey: environment.OPENAI_API_KEY?.trim() || undefined }).embeddingModel(modelId);
      }
      return (await import("@ai-sdk/openai")).createOpenAI({ apiKey: requireProviderKey(provider, providerApiKeyVariables.openai!, environment) }).embedding(modelId);
    }
    case "google":
      return (await import("@ai-sdk/google")).createGoogle({ apiKey: requireProviderKey(provider, providerApiKeyVariables.google!, environment) }).embeddingModel(modelId);
    default:
      throw new ModelConfigurationError({ message: `No embedding models from provider "${provider}". Use openai:, google:, an OpenAI-compatible server in models.providers, or an instance in models.embeddingInstances["${provider}:${modelId}"].`, reason: "unknown-provider", provider, field: `models.embeddingInstances` });
  }
}
