import type { LanguageModel } from "ai";
import { ModelConfigurationError } from "./model-errors.ts";
import type { ModelPrice } from "./prices.ts";

/** A provider reached by base URL: Ollama, vLLM, llama.cpp, LM Studio, a gateway. */
export interface OpenAICompatibleProvider {
  kind: "openai-compatible";
  baseURL: string;
  /** Environment variable holding the key, if the server wants one. */
  apiKeyEnv?: string;
}

/** The `models` section of the configuration. */
export interface ModelConfig {
  providers?: Record<string, OpenAICompatibleProvider>;
  /** `fast` / `balanced` / `strong` (or any name) → `provider:model`. */
  tiers?: Record<string, string>;
  prices?: Record<string, ModelPrice>;
  /** Ready-made AI SDK models by `provider:model-id`: custom providers, or scripted models in tests. */
  instances?: Record<string, LanguageModel>;
}

export type ModelSpec = string | { tier: string };

export interface ResolvedModel {
  /** `provider:modelId`, the key of the price table and of cost attribution. */
  id: string;
  provider: string;
  modelId: string;
  model: LanguageModel;
}

const keyVariables: Record<string, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
};

/**
 * Turns `"openai:gpt-4o-mini"` or `{ tier: "fast" }` into an AI SDK model, or says exactly
 * what to configure. Provider SDKs load on first use: a runtime without model agents never
 * pays their ~40 MB.
 */
export async function resolveModel(spec: ModelSpec, config: ModelConfig = {}, environment: NodeJS.ProcessEnv = process.env): Promise<ResolvedModel> {
  const name = typeof spec === "string" ? spec : resolveTier(spec.tier, config);
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1) {
    throw new ModelConfigurationError(`Model "${name}" must be written "provider:model-id", e.g. "openai:gpt-4o-mini", or { tier: "fast" }.`, { model: name });
  }
  const provider = name.slice(0, colon);
  const modelId = name.slice(colon + 1);
  const instance = config.instances?.[name];
  return { id: name, provider, modelId, model: instance ?? (await createModel(provider, modelId, config, environment)) };
}

function resolveTier(tier: string, config: ModelConfig): string {
  const model = config.tiers?.[tier];
  if (!model) {
    const known = Object.keys(config.tiers ?? {});
    throw new ModelConfigurationError(`Tier "${tier}" is not configured (configured tiers: ${known.length ? known.join(", ") : "none"}). Map it in your config: models: { tiers: { ${tier}: "openai:gpt-4o-mini" } }.`, {
      tier,
      field: `models.tiers.${tier}`,
    });
  }
  return model;
}

function requireKey(provider: string, environment: NodeJS.ProcessEnv): string {
  const variable = keyVariables[provider]!;
  const key = environment[variable];
  if (!key) throw new ModelConfigurationError(`Provider "${provider}" needs an API key: set the environment variable ${variable}.`, { provider, environmentVariable: variable });
  return key;
}

async function createModel(provider: string, modelId: string, config: ModelConfig, environment: NodeJS.ProcessEnv): Promise<LanguageModel> {
  const custom = config.providers?.[provider];
  if (custom) {
    const apiKey = custom.apiKeyEnv ? environment[custom.apiKeyEnv] : undefined;
    if (custom.apiKeyEnv && !apiKey) throw new ModelConfigurationError(`Provider "${provider}" needs an API key: set the environment variable ${custom.apiKeyEnv}.`, { provider, environmentVariable: custom.apiKeyEnv });
    const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
    return createOpenAICompatible({ name: provider, baseURL: custom.baseURL, apiKey, includeUsage: true }).chatModel(modelId);
  }
  switch (provider) {
    case "openai": {
      // Any OpenAI-compatible chat-completions server stands in for OpenAI when CADRE_OPENAI_BASE_URL is set.
      const baseURL = environment.CADRE_OPENAI_BASE_URL;
      if (baseURL) {
        const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
        return createOpenAICompatible({ name: "openai", baseURL, apiKey: environment.OPENAI_API_KEY, includeUsage: true }).chatModel(modelId);
      }
      const apiKey = requireKey(provider, environment);
      return (await import("@ai-sdk/openai")).createOpenAI({ apiKey })(modelId);
    }
    case "anthropic": {
      const apiKey = requireKey(provider, environment);
      return (await import("@ai-sdk/anthropic")).createAnthropic({ apiKey })(modelId);
    }
    case "google": {
      const apiKey = requireKey(provider, environment);
      return (await import("@ai-sdk/google")).createGoogleGenerativeAI({ apiKey })(modelId);
    }
    default: {
      const known = ["openai", "anthropic", "google", ...Object.keys(config.providers ?? {})];
      throw new ModelConfigurationError(
        `Unknown model provider "${provider}". Known providers: ${known.join(", ")}. Add an OpenAI-compatible server in your config: models: { providers: { ${provider}: { kind: "openai-compatible", baseURL: "http://127.0.0.1:11434/v1" } } }.`,
        { provider, known, field: `models.providers.${provider}` },
      );
    }
  }
}
