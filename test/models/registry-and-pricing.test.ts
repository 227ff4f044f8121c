import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, resolveModel, usd } from "../../src/index.ts";
import { costOf, estimateTokens, priceFor, worstCaseCost } from "../../src/internal.ts";

describe("model registry", () => {
  it("names the environment variable to set when a provider's key is missing", async () => {
    for (const [spec, variable] of [["openai:gpt-4o-mini", "OPENAI_API_KEY"], ["anthropic:claude-haiku-4-5", "ANTHROPIC_API_KEY"], ["google:gemini-2.5-flash", "GOOGLE_GENERATIVE_AI_API_KEY"]] as const) {
      await expect(resolveModel(spec, {}, {})).rejects.toThrow(variable);
    }
    expect(await resolveModel("anthropic:claude-haiku-4-5", {}, { ANTHROPIC_API_KEY: "k" })).toMatchObject({ id: "anthropic:claude-haiku-4-5", provider: "anthropic", modelId: "claude-haiku-4-5" });
  });

  it("rejects an unknown provider, listing the known ones and the field to configure", async () => {
    const error = (await resolveModel("mystery:model", {}, {}).catch((thrown) => thrown)) as { code: string; message: string; details: Record<string, unknown> };
    expect(error).toMatchObject({ code: "CONFIGURATION", details: { provider: "mystery", field: "models.providers.mystery" } });
    expect(error?.message).toContain("openai, anthropic, google");
  });

  it("resolves tiers and OpenAI-compatible servers by base URL, and rejects unknown tiers", async () => {
    const config = { tiers: { fast: "local:llama3.2" }, providers: { local: { kind: "openai-compatible" as const, baseURL: "http://127.0.0.1:11434/v1" } } };
    expect(await resolveModel({ tier: "fast" }, config, {})).toMatchObject({ id: "local:llama3.2", provider: "local" });
    await expect(resolveModel({ tier: "strong" }, config, {})).rejects.toThrow(/Tier "strong" is not configured \(configured tiers: fast\)/);
    expect((await resolveModel("openai:gpt-4o-mini", {}, { CADRE_OPENAI_BASE_URL: "http://127.0.0.1:9/v1" })).model).toBeDefined();
  });

  it("fails at start, before opening anything, when a model-backed agent cannot be resolved or priced", async () => {
    const unpriced = defineAgent({ name: "unpriced", owner: "t", purpose: "t", model: "local:mystery-model", instructions: "x" });
    const config = { providers: { local: { kind: "openai-compatible" as const, baseURL: "http://127.0.0.1:9/v1" } } };
    await expect(Runtime.open({ store: ":memory:", agents: [unpriced], models: config })).rejects.toThrow(/No price is known for model "local:mystery-model"/);
    const priced = await Runtime.open({ store: ":memory:", agents: [unpriced], models: { ...config, prices: { "local:mystery-model": { inputPerMillion: 0, outputPerMillion: 0 } } } });
    await priced.close();
  });
});

describe("model pricing", () => {
  it("charges integer micro-dollars, rounding up, cached input at the cached rate", () => {
    const price = priceFor("openai:gpt-4o-mini");
    expect(price).toEqual({ inputPerMillion: 150_000, outputPerMillion: 600_000, cachedInputPerMillion: 75_000 });
    expect(costOf(price, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(usd(0.75));
    expect(costOf(price, { inputTokens: 1, outputTokens: 0 })).toBe(1);
    expect(costOf(price, { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 })).toBe(usd(0.075));
    expect(Number.isInteger(costOf(price, { inputTokens: 333, outputTokens: 777 }))).toBe(true);
  });

  it("reserves the worst case: estimated input plus the whole output allowance", () => {
    const price = priceFor("openai:gpt-4o");
    // 4 + ⌈13/4⌉ for the system prompt, 4 + ⌈328/4⌉ for the message as JSON.
    const estimated = estimateTokens(["system prompt", { role: "user", content: "x".repeat(300) }]);
    expect(estimated).toBe(4 + 4 + 4 + 82);
    expect(worstCaseCost(price, { estimatedInputTokens: 1000, maxOutputTokens: 1000 })).toBe(2_500 + 10_000);
  });

  it("prefers configured prices over the shipped table", () => {
    expect(priceFor("openai:gpt-4o-mini", { "openai:gpt-4o-mini": { inputPerMillion: 1, outputPerMillion: 2 } })).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
    expect(() => priceFor("openai:unknown-model")).toThrow(/models: \{ prices/);
  });
});

describe("model agent definitions", () => {
  it("need run, or model and instructions; default to text input and output", () => {
    expect(() => defineAgent({ name: "empty", owner: "t", purpose: "t" } as never)).toThrow(/run\(input, context\) or model \+ instructions/);
    const agent = defineAgent({ name: "texty", owner: "t", purpose: "t", model: { tier: "fast" }, instructions: "Be brief." });
    expect(agent.input.parse("hello")).toBe("hello");
    expect(agent.modelVersion).toBe("tier:fast");
    expect(() => agent.output.parse(5)).toThrow();
    const typed = defineAgent({ name: "typed", owner: "t", purpose: "t", model: "openai:gpt-4o-mini", instructions: "x", output: z.object({ n: z.number() }) });
    expect(typed.output.parse({ n: 1 })).toEqual({ n: 1 });
  });
});
