import { ModelConfigurationError } from "./model-errors.ts";
import { builtInPrices, pricesAsOf, type ModelPrice } from "./prices.ts";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

/** The price of `provider:modelId`: configuration first, then the shipped table; otherwise refused. */
export function priceFor(model: string, overrides: Record<string, ModelPrice> = {}): ModelPrice {
  const price = overrides[model] ?? builtInPrices[model];
  if (!price) {
    throw new ModelConfigurationError(
      `No price is known for model "${model}" (shipped prices as of ${pricesAsOf}), so its calls cannot be budgeted. Set one in your config: models: { prices: { "${model}": { inputPerMillion: <micro-USD>, outputPerMillion: <micro-USD> } } } (use 0 for a free local model).`,
      { model, field: `models.prices["${model}"]` },
    );
  }
  return price;
}

const perMillion = (tokens: number, price: number) => Math.ceil((tokens * price) / 1_000_000);

/** What a call cost, in integer micro-USD, rounded up. Cached input tokens are billed at the cached rate. */
export function costOf(price: ModelPrice, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  return perMillion(usage.inputTokens - cached, price.inputPerMillion) + perMillion(cached, price.cachedInputPerMillion ?? price.inputPerMillion) + perMillion(usage.outputTokens, price.outputPerMillion);
}

/** The most a call can cost: every estimated input token uncached, and the full output allowance. */
export function worstCaseCost(price: ModelPrice, request: { estimatedInputTokens: number; maxOutputTokens: number }): number {
  return perMillion(request.estimatedInputTokens, price.inputPerMillion) + perMillion(request.maxOutputTokens, price.outputPerMillion);
}

/**
 * A deliberately generous token estimate for reservations: one token per 3 characters of
 * the serialized prompt (real tokenizers average ~4 for English) plus 8 per message.
 */
export function estimateTokens(messages: unknown[]): number {
  return messages.reduce<number>((sum, message) => sum + 8 + Math.ceil(JSON.stringify(message).length / 3), 0);
}
