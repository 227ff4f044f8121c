import type { EmbeddingModel, LanguageModel } from "ai";
import { ModelConfigurationError } from "./model-errors.ts";
import type { ModelPrice } from "./prices.ts";
import { withStructuredOutputSettings } from "./structured-output.ts";

/** Settings any provider takes, a hosted one (`openai`, `anthropic`, `google`) or a model instance's. */
export interface ProviderSettings {
  /**
   * Ask the provider for the answer's JSON Schema as a structured-output response format
   * (default true). false: the schema is only stated in the system prompt and checked after,
   * with one repair turn: for a server that rejects `response_format`.
   */
  structuredOutputs?: boolean;
  /** Where the provider processes the data sent to it (`eu`, `us`): policies on residency read it as the model's region. */
  region?: string;
}

/** A provider reached by base URL: Ollama, vLLM, llama.cpp, LM Studio, a gateway. */
export interface OpenAICompatibleProvider extends ProviderSettings {
  kind: "openai-compatible";
  /** The URL the `/chat/completions` path is appended to, e.g. `http://127.0.0.1:11434/v1`. */
  baseURL: string;
  /** Environment variable holding the key, if the server wants one. */
  apiKeyEnv?: string;
}

/** The `models` section of the configuration. */
export interface ModelConfig {
  /**
   * OpenAI-compatible servers by provider name: `local: { kind: "openai-compatible", baseURL }` serves `"local:<model>"`.
   * Without `kind`, settings of a hosted provider or of an instance's: `openai: { structuredOutputs: false }`.
   */
  providers?: Record<string, OpenAICompatibleProvider | ProviderSettings>;
  /** `fast` / `balanced` / `strong` (or any name) → `provider:model-id`. */
  tiers?: Record<string, string>;
  /** Prices by `provider:model-id`, in micro-USD per million tokens; they win over the shipped table. */
  prices?: Record<string, ModelPrice>;
  /** Ready-made AI SDK models by `provider:model-id`: custom providers, or scripted models in tests. */
  instances?: Record<string, LanguageModel>;
  /** Ready-made AI SDK embedding models by `provider:model-id` (a custom provider, or the test embedder). */
  embeddingInstances?: Record<string, EmbeddingModel>;
}

/** `"provider:model-id"` or a configured tier. */
export type ModelSpec = string | { tier: string };

export interface ResolvedModel {
  /** `provider:modelId`, the key of the price table and of cost attribution. */
  id: string;
  provider: string;
  modelId: string;
  model: LanguageModel;
  /** Whether calls send the answer's JSON Schema as a response format (`models.providers.<provider>.structuredOutputs`). */
  structuredOutputs: boolean;
  /** `models.providers.<provider>.region`, "" when undeclared. */
  region: string;
}

/** The hosted providers Cadre knows, and the environment variable each one's API key is read from. */
export const providerApiKeyVariables: Readonly<Record<string, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
};

/** Points `openai:` models at any OpenAI-compatible chat-completions server instead of api.openai.com. */
export const openAIBaseURLVariable = "CADRE_OPENAI_BASE_URL";

/**
 * Turns `"openai:gpt-4o-mini"` or `{ tier: "fast" }` into an AI SDK model, or throws a
 * `ModelConfigurationError` naming exactly what to set. Asynchronous because provider SDKs
 * load on first use: a runtime without model agents never pays for them.
 * `environment` defaults to `process.env`; tests pass their own.
 */
export async function resolveModel(spec: ModelSpec, config: ModelConfig = {}, environment: NodeJS.ProcessEnv = process.env): Promise<ResolvedModel> {
  const tier = typeof spec === "string" ? undefined : spec.tier;
  const name = tier === undefined ? (spec as string) : resolveTier(tier, config);
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1) {
    const from = tier === undefined ? "" : ` (tier "${tier}", set at models.tiers.${tier})`;
    throw new ModelConfigurationError({ message: `Model "${name}"${from} must be written "provider:model-id", e.g. "openai:gpt-4o-mini", or given as { tier: "fast" }.`, reason: "invalid-model-spec", model: name, ...(tier === undefined ? {} : { tier, field: `models.tiers.${tier}` }) });
  }
  const provider = name.slice(0, colon);
  const modelId = name.slice(colon + 1);
  const instance = config.instances?.[name];
  const structuredOutputs = providerEntry(provider, config)?.structuredOutputs !== false;
  const model = instance ?? (await createModel(provider, modelId, config, environment, structuredOutputs));
  // OpenAI and OpenAI-compatible servers take `strictJsonSchema` under the provider's own options key.
  const strictOptionsKey = instance === undefined && (provider === "openai" || openAICompatibleEntry(provider, config)) ? provider : undefined;
  return { id: name, provider, modelId, model: await withStructuredOutputSettings(model, { enabled: structuredOutputs, strictOptionsKey }), structuredOutputs, region: providerEntry(provider, config)?.region ?? "" };
}

/** The provider entry of an OpenAI-compatible server, for the embedding models it serves too. */
export function openAICompatibleServer(provider: string, config: ModelConfig): { baseURL: string; apiKey: string | undefined } | undefined {
  const custom = openAICompatibleEntry(provider, config);
  if (!custom) return undefined;
  return { baseURL: checkBaseURL(provider, custom.baseURL, `models.providers.${provider}.baseURL`), apiKey: custom.apiKeyEnv ? requireKey(provider, custom.apiKeyEnv, process.env) : undefined };
}

export { requireKey as requireProviderKey };

function providerEntry(provider: string, config: ModelConfig): OpenAICompatibleProvider | ProviderSettings | undefined {
  return config.providers && Object.hasOwn(config.providers, provider) ? config.providers[provider] : undefined;
}

/** A provider entry declaring a server (a `kind` or a `baseURL`), not only settings. */
function openAICompatibleEntry(provider: string, config: ModelConfig): OpenAICompatibleProvider | undefined {
  const entry = providerEntry(provider, config);
  return entry && ("kind" in entry || "baseURL" in entry) ? (entry as OpenAICompatibleProvider) : undefined;
}

function resolveTier(tier: string, config: ModelConfig): string {
  const model = config.tiers && Object.hasOwn(config.tiers, tier) ? config.tiers[tier] : undefined;
  if (!model) {
    const configured = Object.keys(config.tiers ?? {});
    throw new ModelConfigurationError({ message: `Tier "${tier}" is not configured (configured tiers: ${configured.length ? configured.join(", ") : "none"}).`, fix: `Map it in your config: models: { tiers: { ${tier}: "openai:gpt-4o-mini" } }.`, reason: "unknown-tier", tier, configured, field: `models.tiers.${tier}` });
  }
  return model;
}

function requireKey(provider: string, variable: string, environment: NodeJS.ProcessEnv): string {
  const key = environment[variable]?.trim();
  if (!key) {
    throw new ModelConfigurationError({ message: `Provider "${provider}" needs an API key: set the environment variable ${variable}.`, reason: "missing-api-key", provider, environmentVariable: variable });
  }
  return key;
}

function checkBaseURL(provider: string, baseURL: unknown, field: string): string {
  if (typeof baseURL === "string" && URL.canParse(baseURL) && /^https?:$/.test(new URL(baseURL).protocol)) return baseURL.replace(/\/+$/, "");
  throw new ModelConfigurationError({ message: `Provider "${provider}" needs an http(s) base URL such as "http://127.0.0.1:11434/v1" at ${field}; got ${JSON.stringify(baseURL)}.`, reason: "invalid-provider", provider, field });
}

async function openAICompatibleModel(options: { provider: string; modelId: string; baseURL: string; apiKey: string | undefined; structuredOutputs: boolean }): Promise<LanguageModel> {
  const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
  // includeUsage: without it streamed responses carry no token counts, and calls could not be charged.
  // supportsStructuredOutputs: without it the SDK drops the schema and sends `json_object`.
  return createOpenAICompatible({ name: options.provider, baseURL: options.baseURL, apiKey: options.apiKey, includeUsage: true, supportsStructuredOutputs: options.structuredOutputs }).chatModel(
    options.modelId,
  );
}

async function createModel(provider: string, modelId: string, config: ModelConfig, environment: NodeJS.ProcessEnv, structuredOutputs: boolean): Promise<LanguageModel> {
  const custom = openAICompatibleEntry(provider, config);
  if (custom) {
    const field = `models.providers.${provider}`;
    if (custom.kind !== "openai-compatible") {
      throw new ModelConfigurationError({ message: `Provider "${provider}" has kind ${JSON.stringify(custom.kind)} at ${field}.kind; the only supported kind is "openai-compatible".`, reason: "invalid-provider", provider, field: `${field}.kind` });
    }
    const baseURL = checkBaseURL(provider, custom.baseURL, `${field}.baseURL`);
    const apiKey = custom.apiKeyEnv ? requireKey(provider, custom.apiKeyEnv, environment) : undefined;
    return openAICompatibleModel({ provider, modelId, baseURL, apiKey, structuredOutputs });
  }
  switch (provider) {
    case "openai": {
      const baseURL = environment[openAIBaseURLVariable]?.trim();
      if (baseURL) {
        const apiKey = environment.OPENAI_API_KEY?.trim() || undefined;
        return openAICompatibleModel({ provider, modelId, baseURL: checkBaseURL(provider, baseURL, `the environment variable ${openAIBaseURLVariable}`), apiKey, structuredOutputs });
      }
      const apiKey = requireKey(provider, providerApiKeyVariables.openai!, environment);
      // Chat Completions, not the Responses API: the full conversation goes in every request,
      // so a journaled run can resume later without OpenAI-side stored items (`store`).
      return (await import("@ai-sdk/openai")).createOpenAI({ apiKey }).chat(modelId);
    }
    case "anthropic": {
      const apiKey = requireKey(provider, providerApiKeyVariables.anthropic!, environment);
      return (await import("@ai-sdk/anthropic")).createAnthropic({ apiKey })(modelId);
    }
    case "google": {
      const apiKey = requireKey(provider, providerApiKeyVariables.google!, environment);
      return (await import("@ai-sdk/google")).createGoogle({ apiKey })(modelId);
    }
    default: {
      const servers = Object.keys(config.providers ?? {}).filter((name) => openAICompatibleEntry(name, config));
      const known = [...new Set([...Object.keys(providerApiKeyVariables), ...servers])];
      throw new ModelConfigurationError({ message: `Unknown model provider "${provider}". Known providers: ${known.join(", ")}.`, fix: `Add an OpenAI-compatible server in your config: models: { providers: { ${provider}: { kind: "openai-compatible", baseURL: "http://127.0.0.1:11434/v1" } } }.`, reason: "unknown-provider", provider, known, field: `models.providers.${provider}` });
    }
  }
}
