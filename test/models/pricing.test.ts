import { describe, expect, it } from "vitest";
import { CadreError } from "../../src/errors.ts";
import { builtInPrices, costOf, estimateTokens, messageOverheadTokens, priceFor, pricesAsOf, worstCaseCost, type ModelPrice } from "../../src/models/index.ts";

const thrown = (action: () => unknown): CadreError => {
  try {
    action();
  } catch (error) {
    if (CadreError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a CadreError");
};

describe("price table", () => {
  it("holds whole micro-USD rates with a date, for the common OpenAI, Anthropic and Google models", () => {
    expect(pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const models = [
      ...["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"].map((id) => `openai:${id}`),
      ...["claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"].map((id) => `anthropic:${id}`),
      ...["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"].map((id) => `google:${id}`),
    ];
    for (const model of models) expect(builtInPrices[model], model).toBeDefined();
    for (const [model, price] of Object.entries(builtInPrices)) {
      for (const rates of [price, price.longContext].filter((rates) => rates !== undefined)) {
        for (const rate of [rates.inputPerMillion, rates.outputPerMillion, rates.cachedInputPerMillion ?? 0]) expect(Number.isSafeInteger(rate) && rate >= 0, model).toBe(true);
        expect(rates.cachedInputPerMillion ?? 0, model).toBeLessThanOrEqual(rates.inputPerMillion);
      }
    }
  });
});

describe("priceFor", () => {
  it("takes provider:model or provider and model id", () => {
    expect(priceFor("openai", "gpt-4o")).toBe(builtInPrices["openai:gpt-4o"]);
    expect(priceFor("openai:gpt-4o")).toBe(builtInPrices["openai:gpt-4o"]);
  });

  it("prefers a configured price, in either form", () => {
    const overrides = { "local:llama3.2": { inputPerMillion: 0, outputPerMillion: 0 }, "openai:gpt-4o": { inputPerMillion: 1, outputPerMillion: 2 } };
    expect(priceFor("local", "llama3.2", overrides)).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(priceFor("openai:gpt-4o", overrides)).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
  });

  it("refuses a model with no known price, saying how to configure one, never $0", () => {
    const error = thrown(() => priceFor("openai", "gpt-9-ultra"));
    expect(error).toMatchObject({ code: "CONFIGURATION", fault: "configuration", details: { reason: "unknown-price", model: "openai:gpt-9-ultra", field: 'models.prices["openai:gpt-9-ultra"]' } });
    expect(error.message).toContain('models: { prices: { "openai:gpt-9-ultra": { inputPerMillion:');
    expect(error.message).toContain(pricesAsOf);
    // Inherited object keys are not prices.
    expect(thrown(() => priceFor("constructor"))).toMatchObject({ details: { reason: "unknown-price" } });
  });

  it("rejects a configured price in dollars, naming the field and the micro-USD to write", () => {
    const error = thrown(() => priceFor("local:m", { "local:m": { inputPerMillion: 0.15, outputPerMillion: 600_000 } }));
    expect(error).toMatchObject({ code: "CONFIGURATION", details: { reason: "invalid-price", field: 'models.prices["local:m"].inputPerMillion' } });
    expect(error.message).toContain("write 150000");
    expect(thrown(() => priceFor("local:m", { "local:m": { inputPerMillion: 1, outputPerMillion: -1 } })).details.field).toBe('models.prices["local:m"].outputPerMillion');
    expect(thrown(() => priceFor("local:m", { "local:m": { inputPerMillion: 1 } as ModelPrice })).details.field).toBe('models.prices["local:m"].outputPerMillion');
  });
});

describe("costOf", () => {
  const price = { inputPerMillion: 150_000, outputPerMillion: 600_000, cachedInputPerMillion: 75_000 };

  it("charges integer micro-USD, rounding the call's total up once", () => {
    expect(costOf(price, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(750_000);
    expect(costOf(price, { inputTokens: 0, outputTokens: 0 })).toBe(0);
    expect(costOf(price, { inputTokens: 1, outputTokens: 0 })).toBe(1);
    expect(costOf(price, { inputTokens: 3, outputTokens: 1 })).toBe(2);
    // 0.4 + 0.4 micro-USD is 1, not ⌈0.4⌉ + ⌈0.4⌉ = 2.
    expect(costOf({ inputPerMillion: 400_000, outputPerMillion: 400_000 }, { inputTokens: 1, outputTokens: 1 })).toBe(1);
    for (const [input, output] of [[333, 777], [12_345, 6_789], [1, 1]]) expect(Number.isInteger(costOf(price, { inputTokens: input!, outputTokens: output! }))).toBe(true);
  });

  it("bills cached input at the cached rate, and never more cached tokens than input tokens", () => {
    expect(costOf(price, { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 400_000 })).toBe(90_000 + 30_000);
    expect(costOf(price, { inputTokens: 100, outputTokens: 0, cachedInputTokens: 1_000 })).toBe(costOf(price, { inputTokens: 100, outputTokens: 0, cachedInputTokens: 100 }));
    expect(costOf({ inputPerMillion: 1_000_000, outputPerMillion: 0 }, { inputTokens: 10, outputTokens: 0, cachedInputTokens: 10 })).toBe(10);
  });

  it("bills the whole call at long-context rates once the prompt passes the threshold", () => {
    const pro = priceFor("google:gemini-2.5-pro");
    expect(costOf(pro, { inputTokens: 200_000, outputTokens: 1_000 })).toBe(250_000 + 10_000);
    expect(costOf(pro, { inputTokens: 200_001, outputTokens: 1_000 })).toBe(500_003 + 15_000);
  });

  it("is exact where floating-point division is not", () => {
    // (9e15 + 1) / 1e6 rounds to 9e9 in floating point; the remainder must still round up.
    expect(costOf({ inputPerMillion: 1_000_000, outputPerMillion: 1 }, { inputTokens: 9_000_000_000, outputTokens: 1 })).toBe(9_000_000_001);
  });

  it("refuses token counts that are not whole numbers", () => {
    expect(thrown(() => costOf(price, { inputTokens: 1.5, outputTokens: 0 }))).toMatchObject({ code: "INVALID_INPUT" });
    expect(thrown(() => costOf(price, { inputTokens: 1, outputTokens: Number.NaN }))).toMatchObject({ code: "INVALID_INPUT" });
    expect(thrown(() => costOf(price, { inputTokens: -1, outputTokens: 0 }))).toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("worstCaseCost", () => {
  it("is the estimated input uncached plus the whole output allowance, rounded up", () => {
    const price = priceFor("openai:gpt-4o-mini");
    expect(worstCaseCost(price, { estimatedInputTokens: 1_000, maxOutputTokens: 1_000 })).toBe(150 + 600);
    expect(worstCaseCost(price, { estimatedInputTokens: 1, maxOutputTokens: 1 })).toBe(1);
    expect(worstCaseCost(price, { estimatedInputTokens: 1_000, maxOutputTokens: 1_000 })).toBeGreaterThanOrEqual(costOf(price, { inputTokens: 1_000, outputTokens: 1_000, cachedInputTokens: 500 }));
    expect(worstCaseCost(priceFor("anthropic:claude-sonnet-4-5"), { estimatedInputTokens: 300_000, maxOutputTokens: 0 })).toBe(1_800_000);
  });
});

describe("estimateTokens", () => {
  it("counts text at 4 ASCII characters a token, rounding up", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("x".repeat(400))).toBe(100);
  });

  it("counts a non-ASCII character as a token, since tokenizers rarely merge them", () => {
    expect(estimateTokens("日本語")).toBe(3);
    expect(estimateTokens("café")).toBe(1 + 1);
  });

  it("adds a per-message overhead, and measures structured messages as JSON", () => {
    expect(messageOverheadTokens).toBe(4);
    expect(estimateTokens([])).toBe(0);
    expect(estimateTokens(["abcd", "abcd"])).toBe(2 * (4 + 1));
    const message = { role: "user", content: [{ type: "text", text: "hello" }] };
    expect(estimateTokens([message])).toBe(4 + Math.ceil(JSON.stringify(message).length / 4));
    expect(estimateTokens([undefined])).toBe(4);
  });
});
