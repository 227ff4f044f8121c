import { generateText } from "ai";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CadreError } from "../../src/errors.ts";
import { resolveModel, type ModelConfig, type ModelSpec } from "../../src/models/index.ts";
import { createScriptedModel, startScriptedOpenAIServer, type ScriptedOpenAIServer } from "../../src/testing/index.ts";

async function failure(spec: ModelSpec, config: ModelConfig = {}, environment: NodeJS.ProcessEnv = {}): Promise<CadreError> {
  const error = await resolveModel(spec, config, environment).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!CadreError.is(error)) throw new Error(`expected a CadreError, got ${String(error)}`);
  return error;
}

describe("resolveModel errors", () => {
  it("names the exact environment variable when a hosted provider's key is missing", async () => {
    for (const [spec, variable] of [
      ["openai:gpt-4o-mini", "OPENAI_API_KEY"],
      ["anthropic:claude-haiku-4-5", "ANTHROPIC_API_KEY"],
      ["google:gemini-2.5-flash", "GOOGLE_GENERATIVE_AI_API_KEY"],
    ] as const) {
      const error = await failure(spec, {}, { [variable]: "  " });
      expect(error).toMatchObject({ code: "CONFIGURATION", fault: "configuration", details: { reason: "missing-api-key", environmentVariable: variable } });
      expect(error.message).toContain(`set the environment variable ${variable}`);
    }
  });

  it("names a configured server's key variable when it is unset", async () => {
    const config: ModelConfig = { providers: { gateway: { kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", apiKeyEnv: "GATEWAY_KEY" } } };
    expect(await failure("gateway:m", config)).toMatchObject({ details: { reason: "missing-api-key", environmentVariable: "GATEWAY_KEY" } });
  });

  it("rejects an unknown provider, listing the known ones and the field to add", async () => {
    const error = await failure("mystery:model", { providers: { local: { kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1" } } });
    expect(error).toMatchObject({ code: "CONFIGURATION", details: { reason: "unknown-provider", provider: "mystery", known: ["openai", "anthropic", "google", "local"], field: "models.providers.mystery" } });
    expect(error.message).toContain("Known providers: openai, anthropic, google, local");
  });

  it("rejects an unknown tier, naming it and the configured ones", async () => {
    const error = await failure({ tier: "strong" }, { tiers: { fast: "openai:gpt-4o-mini", balanced: "openai:gpt-4.1" } });
    expect(error).toMatchObject({ code: "CONFIGURATION", details: { reason: "unknown-tier", tier: "strong", configured: ["fast", "balanced"], field: "models.tiers.strong" } });
    expect(error.message).toContain('Tier "strong" is not configured (configured tiers: fast, balanced)');
    expect((await failure({ tier: "fast" })).message).toContain("(configured tiers: none)");
    expect(await failure({ tier: "toString" })).toMatchObject({ details: { reason: "unknown-tier" } });
  });

  it("does not count a provider entry holding only settings as a server", async () => {
    const error = await failure("mystery:model", { providers: { openai: { structuredOutputs: false }, local: { kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1" } } });
    expect(error).toMatchObject({ details: { reason: "unknown-provider", known: ["openai", "anthropic", "google", "local"] } });
    expect(await failure("openai:gpt-4o", { providers: { openai: { structuredOutputs: false } } })).toMatchObject({ details: { reason: "missing-api-key", environmentVariable: "OPENAI_API_KEY" } });
  });

  it("rejects a malformed model, saying which tier it came from", async () => {
    expect(await failure("gpt-4o")).toMatchObject({ details: { reason: "invalid-model-spec", model: "gpt-4o" } });
    expect(await failure("openai:")).toMatchObject({ details: { reason: "invalid-model-spec" } });
    const error = await failure({ tier: "fast" }, { tiers: { fast: "gpt-4o" } });
    expect(error).toMatchObject({ details: { reason: "invalid-model-spec", tier: "fast", field: "models.tiers.fast" } });
  });

  it("rejects a configured server without an http(s) base URL or with an unknown kind", async () => {
    const bad = (provider: unknown): ModelConfig => ({ providers: { local: provider as never } });
    expect(await failure("local:m", bad({ kind: "openai-compatible", baseURL: "localhost:11434" }))).toMatchObject({ details: { reason: "invalid-provider", field: "models.providers.local.baseURL" } });
    expect(await failure("local:m", bad({ kind: "ollama", baseURL: "http://127.0.0.1:11434/v1" }))).toMatchObject({ details: { reason: "invalid-provider", field: "models.providers.local.kind" } });
    expect(await failure("openai:gpt-4o", {}, { CADRE_OPENAI_BASE_URL: "not a url" })).toMatchObject({ details: { reason: "invalid-provider" } });
  });
});

describe("resolveModel", () => {
  let server: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("builds each hosted provider's model from its key", async () => {
    const environment = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GOOGLE_GENERATIVE_AI_API_KEY: "k" };
    for (const [spec, provider] of [
      ["openai:gpt-4o-mini", "openai.chat"],
      ["anthropic:claude-haiku-4-5", "anthropic.messages"],
      ["google:gemini-2.5-flash", "google.generative-ai"],
    ] as const) {
      const resolved = await resolveModel(spec, {}, environment);
      expect(resolved).toMatchObject({ id: spec, provider: spec.split(":")[0], modelId: spec.split(":")[1] });
      expect(resolved.model).toMatchObject({ specificationVersion: "v4", provider, modelId: spec.split(":")[1] });
    }
  });

  it("resolves a tier to its configured model", async () => {
    const resolved = await resolveModel({ tier: "fast" }, { tiers: { fast: "anthropic:claude-haiku-4-5" } }, { ANTHROPIC_API_KEY: "k" });
    expect(resolved).toMatchObject({ id: "anthropic:claude-haiku-4-5", provider: "anthropic", modelId: "claude-haiku-4-5" });
  });

  it("prefers a ready-made instance, for custom providers and tests", async () => {
    const model = createScriptedModel({ script: [{ text: "hi" }] });
    expect(await resolveModel("custom:thing", { instances: { "custom:thing": model } }, {})).toMatchObject({ model, structuredOutputs: true });
  });

  it("reads structuredOutputs per provider: on unless models.providers.<name>.structuredOutputs is false", async () => {
    const environment = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" };
    const config: ModelConfig = {
      providers: { openai: { structuredOutputs: false }, local: { kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", structuredOutputs: false } },
    };
    expect((await resolveModel("openai:gpt-4o-mini", config, environment)).structuredOutputs).toBe(false);
    expect((await resolveModel("local:m", config, environment)).structuredOutputs).toBe(false);
    expect((await resolveModel("anthropic:claude-haiku-4-5", config, environment)).structuredOutputs).toBe(true);
    expect((await resolveModel("local:m", { providers: { local: { kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1" } } }, {})).structuredOutputs).toBe(true);
  });

  it("sends a configured OpenAI-compatible server's models to its base URL", async () => {
    server = await startScriptedOpenAIServer({ script: [{ text: "from the local server", usage: { promptTokens: 7, completionTokens: 3 } }] });
    const resolved = await resolveModel({ tier: "fast" }, { tiers: { fast: "local:llama3.2" }, providers: { local: { kind: "openai-compatible", baseURL: server.baseURL } } }, {});
    expect(resolved).toMatchObject({ id: "local:llama3.2", provider: "local", modelId: "llama3.2" });
    const result = await generateText({ model: resolved.model, prompt: "hello", maxRetries: 0 });
    expect(result.text).toBe("from the local server");
    expect(result.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect(server.requests[0]).toMatchObject({ model: "llama3.2", messages: [{ role: "user", content: "hello" }] });
  });

  it("sends openai: models to CADRE_OPENAI_BASE_URL when it is set, no key needed", async () => {
    server = await startScriptedOpenAIServer({ script: [{ text: "stand-in" }] });
    const resolved = await resolveModel("openai:gpt-4o-mini", {}, { CADRE_OPENAI_BASE_URL: server.baseURL });
    expect(resolved).toMatchObject({ id: "openai:gpt-4o-mini", provider: "openai", modelId: "gpt-4o-mini" });
    expect((await generateText({ model: resolved.model, prompt: "hello", maxRetries: 0 })).text).toBe("stand-in");
    expect(server.requests[0]!.model).toBe("gpt-4o-mini");
  });

  it("sends the configured key as a bearer token", async () => {
    const seen: Array<string | undefined> = [];
    const capture = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "captured" } }));
    });
    await new Promise<void>((resolve) => capture.listen(0, "127.0.0.1", resolve));
    try {
      const baseURL = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/v1`;
      const resolved = await resolveModel("gateway:m", { providers: { gateway: { kind: "openai-compatible", baseURL, apiKeyEnv: "GATEWAY_KEY" } } }, { GATEWAY_KEY: "secret" });
      await expect(generateText({ model: resolved.model, prompt: "hello", maxRetries: 0 })).rejects.toThrow("captured");
      expect(seen).toEqual(["Bearer secret"]);
    } finally {
      capture.closeAllConnections();
      await new Promise((resolve) => capture.close(resolve));
    }
  });
});
