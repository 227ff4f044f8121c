/**
 * A model's list price in micro-USD per million tokens: $2.50 per 1M tokens is 2_500_000.
 * Integers only, so every charge is exact.
 */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  /** Input tokens read from the provider's prompt cache. Defaults to `inputPerMillion`. */
  cachedInputPerMillion?: number;
  /**
   * Rates for the whole call once its prompt is longer than `aboveInputTokens` tokens, as
   * Gemini 2.5 Pro and Claude Sonnet 4.x (1M-token context) bill long prompts.
   */
  longContext?: {
    aboveInputTokens: number;
    inputPerMillion: number;
    outputPerMillion: number;
    cachedInputPerMillion?: number;
  };
}

/**
 * When the shipped prices were last checked against the providers' public price pages.
 * Prices change: override or extend them with `models.prices` in configuration. A model in
 * neither is refused, never charged $0.
 */
export const pricesAsOf = "2025-12-01";

const gpt5 = { inputPerMillion: 1_250_000, outputPerMillion: 10_000_000, cachedInputPerMillion: 125_000 };
const opus4 = { inputPerMillion: 15_000_000, outputPerMillion: 75_000_000, cachedInputPerMillion: 1_500_000 };
const opus45 = { inputPerMillion: 5_000_000, outputPerMillion: 25_000_000, cachedInputPerMillion: 500_000 };
// Prompts over 200K tokens (1M-context beta) are billed at the higher rate for the whole call.
const sonnet4 = {
  inputPerMillion: 3_000_000,
  outputPerMillion: 15_000_000,
  cachedInputPerMillion: 300_000,
  longContext: { aboveInputTokens: 200_000, inputPerMillion: 6_000_000, outputPerMillion: 22_500_000, cachedInputPerMillion: 600_000 },
};
const haiku45 = { inputPerMillion: 1_000_000, outputPerMillion: 5_000_000, cachedInputPerMillion: 100_000 };

/** List prices by `provider:model-id`, as of {@link pricesAsOf}. Anthropic's dated ids share their alias's price. */
export const builtInPrices: Readonly<Record<string, ModelPrice>> = {
  "openai:gpt-4o": { inputPerMillion: 2_500_000, outputPerMillion: 10_000_000, cachedInputPerMillion: 1_250_000 },
  "openai:gpt-4o-mini": { inputPerMillion: 150_000, outputPerMillion: 600_000, cachedInputPerMillion: 75_000 },
  "openai:gpt-4.1": { inputPerMillion: 2_000_000, outputPerMillion: 8_000_000, cachedInputPerMillion: 500_000 },
  "openai:gpt-4.1-mini": { inputPerMillion: 400_000, outputPerMillion: 1_600_000, cachedInputPerMillion: 100_000 },
  "openai:gpt-4.1-nano": { inputPerMillion: 100_000, outputPerMillion: 400_000, cachedInputPerMillion: 25_000 },
  "openai:o3": { inputPerMillion: 2_000_000, outputPerMillion: 8_000_000, cachedInputPerMillion: 500_000 },
  "openai:o4-mini": { inputPerMillion: 1_100_000, outputPerMillion: 4_400_000, cachedInputPerMillion: 275_000 },
  "openai:gpt-5": gpt5,
  "openai:gpt-5.1": gpt5,
  "openai:gpt-5-mini": { inputPerMillion: 250_000, outputPerMillion: 2_000_000, cachedInputPerMillion: 25_000 },
  "openai:gpt-5-nano": { inputPerMillion: 50_000, outputPerMillion: 400_000, cachedInputPerMillion: 5_000 },

  "anthropic:claude-opus-4-5": opus45,
  "anthropic:claude-opus-4-5-20251101": opus45,
  "anthropic:claude-opus-4-1": opus4,
  "anthropic:claude-opus-4-1-20250805": opus4,
  "anthropic:claude-opus-4-0": opus4,
  "anthropic:claude-opus-4-20250514": opus4,
  "anthropic:claude-sonnet-4-5": sonnet4,
  "anthropic:claude-sonnet-4-5-20250929": sonnet4,
  "anthropic:claude-sonnet-4-0": sonnet4,
  "anthropic:claude-sonnet-4-20250514": sonnet4,
  "anthropic:claude-haiku-4-5": haiku45,
  "anthropic:claude-haiku-4-5-20251001": haiku45,

  // Prompts over 200K tokens are billed at the higher rate for the whole call.
  "google:gemini-2.5-pro": {
    inputPerMillion: 1_250_000,
    outputPerMillion: 10_000_000,
    cachedInputPerMillion: 125_000,
    longContext: { aboveInputTokens: 200_000, inputPerMillion: 2_500_000, outputPerMillion: 15_000_000, cachedInputPerMillion: 250_000 },
  },
  "google:gemini-2.5-flash": { inputPerMillion: 300_000, outputPerMillion: 2_500_000, cachedInputPerMillion: 30_000 },
  "google:gemini-2.5-flash-lite": { inputPerMillion: 100_000, outputPerMillion: 400_000, cachedInputPerMillion: 10_000 },

  // Embedding models bill input tokens only.
  "openai:text-embedding-3-small": { inputPerMillion: 20_000, outputPerMillion: 0 },
  "openai:text-embedding-3-large": { inputPerMillion: 130_000, outputPerMillion: 0 },
  "openai:text-embedding-ada-002": { inputPerMillion: 100_000, outputPerMillion: 0 },
};
