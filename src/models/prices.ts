/**
 * List prices in micro-USD per million tokens (so $2.50 / 1M tokens = 2_500_000), as
 * published by the providers. Data, not code: override or extend with `models.prices` in
 * configuration. A model that is in neither is refused, never charged $0.
 */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  cachedInputPerMillion?: number;
}

export const pricesAsOf = "2026-11-01";

export const builtInPrices: Record<string, ModelPrice> = {
  "openai:gpt-4o": { inputPerMillion: 2_500_000, outputPerMillion: 10_000_000, cachedInputPerMillion: 1_250_000 },
  "openai:gpt-4o-mini": { inputPerMillion: 150_000, outputPerMillion: 600_000, cachedInputPerMillion: 75_000 },
  "openai:gpt-4.1": { inputPerMillion: 2_000_000, outputPerMillion: 8_000_000, cachedInputPerMillion: 500_000 },
  "openai:gpt-4.1-mini": { inputPerMillion: 400_000, outputPerMillion: 1_600_000, cachedInputPerMillion: 100_000 },
  "openai:gpt-4.1-nano": { inputPerMillion: 100_000, outputPerMillion: 400_000, cachedInputPerMillion: 25_000 },
  "openai:o3": { inputPerMillion: 2_000_000, outputPerMillion: 8_000_000, cachedInputPerMillion: 500_000 },
  "openai:o4-mini": { inputPerMillion: 1_100_000, outputPerMillion: 4_400_000, cachedInputPerMillion: 275_000 },
  "openai:gpt-5": { inputPerMillion: 1_250_000, outputPerMillion: 10_000_000, cachedInputPerMillion: 125_000 },
  "openai:gpt-5-mini": { inputPerMillion: 250_000, outputPerMillion: 2_000_000, cachedInputPerMillion: 25_000 },
  "openai:gpt-5-nano": { inputPerMillion: 50_000, outputPerMillion: 400_000, cachedInputPerMillion: 5_000 },
  "anthropic:claude-opus-4-1": { inputPerMillion: 15_000_000, outputPerMillion: 75_000_000, cachedInputPerMillion: 1_500_000 },
  "anthropic:claude-sonnet-4-5": { inputPerMillion: 3_000_000, outputPerMillion: 15_000_000, cachedInputPerMillion: 300_000 },
  "anthropic:claude-sonnet-4-0": { inputPerMillion: 3_000_000, outputPerMillion: 15_000_000, cachedInputPerMillion: 300_000 },
  "anthropic:claude-haiku-4-5": { inputPerMillion: 1_000_000, outputPerMillion: 5_000_000, cachedInputPerMillion: 100_000 },
  "google:gemini-2.5-pro": { inputPerMillion: 1_250_000, outputPerMillion: 10_000_000, cachedInputPerMillion: 310_000 },
  "google:gemini-2.5-flash": { inputPerMillion: 300_000, outputPerMillion: 2_500_000, cachedInputPerMillion: 75_000 },
  "google:gemini-2.5-flash-lite": { inputPerMillion: 100_000, outputPerMillion: 400_000, cachedInputPerMillion: 25_000 },
};
