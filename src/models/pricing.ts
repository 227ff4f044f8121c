import { InputValidationError } from "../errors.ts";
import { ModelConfigurationError } from "./model-errors.ts";
import { builtInPrices, pricesAsOf, type ModelPrice } from "./prices.ts";

/** Tokens of one model call as the provider reported them. `inputTokens` includes `cachedInputTokens`. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

/** What a call may use at most: its estimated prompt and its whole output allowance. */
export interface WorstCaseRequest {
  estimatedInputTokens: number;
  maxOutputTokens: number;
}

/**
 * The price of a model: configured prices first, then the shipped table. A model in neither
 * is refused with a typed error saying how to price it, never charged $0.
 */
export function priceFor(model: string, overrides?: Record<string, ModelPrice>): ModelPrice;
export function priceFor(provider: string, modelId: string, overrides?: Record<string, ModelPrice>): ModelPrice;
export function priceFor(first: string, second?: string | Record<string, ModelPrice>, third?: Record<string, ModelPrice>): ModelPrice {
  const model = typeof second === "string" ? `${first}:${second}` : first;
  const overrides = (typeof second === "string" ? third : second) ?? {};
  const configured = Object.hasOwn(overrides, model) ? overrides[model] : undefined;
  if (configured) return checkPrice(model, configured);
  const builtIn = Object.hasOwn(builtInPrices, model) ? builtInPrices[model] : undefined;
  if (builtIn) return builtIn;
  throw new ModelConfigurationError({ message: `No price is known for model "${model}" (shipped prices as of ${pricesAsOf}), so its calls cannot be budgeted.`, fix:
      `Set one in your config, in micro-USD per million tokens: models: { prices: { "${model}": { inputPerMillion: 150000, outputPerMillion: 600000 } } } ` +
      `($0.15 and $0.60 per 1M tokens; use 0 for a free local model).`, reason: "unknown-price", model, field: `models.prices["${model}"]`, pricesAsOf });
}

/** What a call cost in integer micro-USD, rounded up. Cached input tokens are billed at the cached rate. */
export function costOf(price: ModelPrice, usage: TokenUsage): number {
  const inputTokens = tokenCount(usage.inputTokens, "inputTokens");
  const outputTokens = tokenCount(usage.outputTokens, "outputTokens");
  const cachedTokens = Math.min(tokenCount(usage.cachedInputTokens ?? 0, "cachedInputTokens"), inputTokens);
  const rates = ratesFor(price, inputTokens);
  return ceilMillionths((inputTokens - cachedTokens) * rates.inputPerMillion + cachedTokens * (rates.cachedInputPerMillion ?? rates.inputPerMillion) + outputTokens * rates.outputPerMillion);
}

/** The most a call can cost, in integer micro-USD: every estimated input token uncached, and the full output allowance. */
export function worstCaseCost(price: ModelPrice, request: WorstCaseRequest): number {
  const inputTokens = tokenCount(request.estimatedInputTokens, "estimatedInputTokens");
  const rates = ratesFor(price, inputTokens);
  return ceilMillionths(inputTokens * rates.inputPerMillion + tokenCount(request.maxOutputTokens, "maxOutputTokens") * rates.outputPerMillion);
}

/** Tokens assumed per message for role and delimiters, on top of its content. */
export const messageOverheadTokens = 4;

/**
 * A quick, deliberately generous token estimate for budget reservations, not a tokenizer.
 * Text: one token per 4 ASCII characters (the usual English average) and one per non-ASCII
 * character (CJK and emoji are a token or more each), rounded up. A list of messages: each
 * message's text (a non-string message is measured as its JSON, structure included) plus
 * {@link messageOverheadTokens}.
 */
export function estimateTokens(input: string | readonly unknown[]): number {
  if (typeof input === "string") return textTokens(input);
  return input.reduce<number>((sum, message) => sum + messageOverheadTokens + textTokens(typeof message === "string" ? message : (JSON.stringify(message) ?? "")), 0);
}

function textTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const character of text) {
    if (character.charCodeAt(0) < 0x80) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / 4) + other;
}

function ratesFor(price: ModelPrice, inputTokens: number): Omit<ModelPrice, "longContext"> {
  return price.longContext && inputTokens > price.longContext.aboveInputTokens ? price.longContext : price;
}

// Exact for any total below 2^53: `%` and `-` on safe integers do not round, unlike `/ 1e6`.
function ceilMillionths(total: number): number {
  if (!Number.isSafeInteger(total)) throw new InputValidationError({ message: `Cost ${total} micro-USD × 10⁶ is not a safe integer: check the price and token counts.`, total });
  const remainder = total % 1_000_000;
  return (total - remainder) / 1_000_000 + (remainder > 0 ? 1 : 0);
}

function tokenCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new InputValidationError({ message: `${name} must be a whole number of tokens, 0 or more; got ${value}.`, [name]: value });
  return value;
}

const rateFields = ["inputPerMillion", "outputPerMillion", "cachedInputPerMillion"] as const;

// Configured prices are hand-written: catch USD written where micro-USD belong ($0.15 → 150000).
function checkPrice(model: string, price: ModelPrice): ModelPrice {
  const check = (rates: Partial<Record<(typeof rateFields)[number], unknown>>, path: string) => {
    for (const field of rateFields) {
      const value = rates[field];
      if (value === undefined && field === "cachedInputPerMillion") continue;
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
        const hint = typeof value === "number" && value > 0 && value < 1_000 ? ` If you meant $${value} per 1M tokens, write ${Math.round(value * 1_000_000)}.` : "";
        throw new ModelConfigurationError({ message: `Price models.prices["${model}"]${path}.${field} must be a whole number of micro-USD per million tokens (1 USD = 1000000); got ${JSON.stringify(value)}.${hint}`, reason: "invalid-price", model, field: `models.prices["${model}"]${path}.${field}` });
      }
    }
  };
  check(price, "");
  if (price.longContext) {
    check(price.longContext, ".longContext");
    const threshold = price.longContext.aboveInputTokens;
    if (!Number.isSafeInteger(threshold) || threshold < 0) {
      throw new ModelConfigurationError({ message: `Price models.prices["${model}"].longContext.aboveInputTokens must be a whole number of tokens; got ${JSON.stringify(threshold)}.`, reason: "invalid-price", model, field: `models.prices["${model}"].longContext.aboveInputTokens` });
    }
  }
  return price;
}
