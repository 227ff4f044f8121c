import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, Output, generateText, isStepCount, streamText, tool } from "ai";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startScriptedOpenAIServer, type ChatCompletionRequest, type Script, type ScriptedOpenAIServer } from "../../src/testing/index.ts";

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script<ChatCompletionRequest>, options: { includeUsage?: boolean; supportsStructuredOutputs?: boolean } = {}) {
  server = await startScriptedOpenAIServer({ script });
  const provider = createOpenAICompatible({ name: "scripted", baseURL: server.baseURL, includeUsage: options.includeUsage ?? true, supportsStructuredOutputs: options.supportsStructuredOutputs });
  return { server, model: provider.chatModel("test-model") };
}

const weather = tool({
  description: "current weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe("scripted OpenAI server with the real @ai-sdk/openai-compatible provider", () => {
  it("answers text and reports the scripted usage", async () => {
    const { model, server } = await serve([{ text: "Hello there.", usage: { promptTokens: 12, completionTokens: 3 } }]);
    const result = await generateText({ model, instructions: "Be brief.", prompt: "Say hello.", maxRetries: 0 });
    expect(result.text).toBe("Hello there.");
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toMatchObject({ inputTokens: 12, outputTokens: 3, totalTokens: 15, inputTokenDetails: { noCacheTokens: 12, cacheReadTokens: 0 } });
    expect(server.requestCount).toBe(1);
    expect(server.requests[0]).toMatchObject({ model: "test-model", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello." }] });
  });

  it("estimates usage from lengths when the script gives none, and reports cached tokens", async () => {
    const { model } = await serve([{ text: "x".repeat(40) }, { text: "ok", usage: { promptTokens: 1000, completionTokens: 10, cachedTokens: 800, reasoningTokens: 4 } }]);
    const estimated = await generateText({ model, prompt: "hi", maxRetries: 0 });
    expect(estimated.usage.outputTokens).toBe(10);
    expect(estimated.usage.inputTokens).toBeGreaterThan(0);
    const cached = await generateText({ model, prompt: "hi", maxRetries: 0 });
    expect(cached.usage).toMatchObject({ inputTokens: 1000, inputTokenDetails: { cacheReadTokens: 800, noCacheTokens: 200 }, outputTokenDetails: { reasoningTokens: 4, textTokens: 6 } });
  });

  it("answers a whenJsonSchema response by the request's response_format, and records the schema it received", async () => {
    const answer = { whenJsonSchema: { json: { city: "Lisbon", celsius: 21 } }, otherwise: { text: "It is warm in Lisbon." } };
    const schema = z.object({ city: z.string(), celsius: z.number() });
    const { model, server } = await serve([answer, answer, answer], { supportsStructuredOutputs: true });
    const structured = await generateText({ model, output: Output.object({ schema, name: "weather" }), prompt: "Weather in Lisbon?", maxRetries: 0 });
    expect(structured.output).toEqual({ city: "Lisbon", celsius: 21 });
    expect(server.requests[0]!.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "weather", strict: true, schema: { type: "object", required: ["city", "celsius"] } } });
    // Streamed the same way; a request without a schema gets the other branch.
    expect(await streamText({ model, output: Output.object({ schema }), prompt: "Weather?", maxRetries: 0 }).output).toEqual({ city: "Lisbon", celsius: 21 });
    expect((await generateText({ model, prompt: "Weather in Lisbon?", maxRetries: 0 })).text).toBe("It is warm in Lisbon.");
    expect(server.requests[2]!.response_format).toBeUndefined();
  });

  it("takes the otherwise branch for json_object, a response format without a schema", async () => {
    const { model, server } = await serve([{ whenJsonSchema: { json: { ok: true } }, otherwise: { text: "{}" } }]);
    // Without supportsStructuredOutputs the provider drops the schema and asks for json_object.
    const result = await generateText({ model, output: Output.object({ schema: z.object({ ok: z.boolean().optional() }) }), prompt: "ok?", maxRetries: 0 });
    expect(server.requests[0]!.response_format).toEqual({ type: "json_object" });
    expect(result.output).toEqual({});
  });

  it("round-trips a tool call: the model calls, the SDK runs the tool, the result goes back", async () => {
    const { model, server } = await serve([
      { toolCalls: [{ name: "weather", arguments: { city: "Lisbon" } }], usage: { promptTokens: 50, completionTokens: 10 } },
      { text: "It is 21°C in Lisbon.", usage: { promptTokens: 80, completionTokens: 8 } },
    ]);
    const result = await generateText({ model, tools: { weather }, prompt: "Weather in Lisbon?", stopWhen: isStepCount(3), maxRetries: 0 });
    expect(result.text).toBe("It is 21°C in Lisbon.");
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls[0]).toMatchObject({ toolName: "weather", toolCallId: "call_1_0", input: { city: "Lisbon" } });
    expect(result.usage).toMatchObject({ inputTokens: 130, outputTokens: 18 });
    // The tool was offered, and its result came back as a tool message for the call's id.
    expect(server.requests[0]!.tools?.[0]?.function).toMatchObject({ name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } });
    expect(server.requests[1]!.messages.at(-2)).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_1_0", type: "function", function: { name: "weather", arguments: '{"city":"Lisbon"}' } }] });
    expect(server.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_1_0", content: JSON.stringify({ city: "Lisbon", celsius: 21 }) });
  });

  it("answers JSON as text content", async () => {
    const { model } = await serve([{ json: { route: "billing", confidence: 0.9 } }]);
    const result = await generateText({ model, prompt: "route this", maxRetries: 0 });
    expect(JSON.parse(result.text)).toEqual({ route: "billing", confidence: 0.9 });
  });

  it("lets a function script choose from the request", async () => {
    const seen: number[] = [];
    const { model } = await serve((request, index) => {
      seen.push(index);
      return { text: JSON.stringify(request.messages).includes("refund") ? "billing" : "tech" };
    });
    expect((await generateText({ model, prompt: "I want a refund", maxRetries: 0 })).text).toBe("billing");
    expect((await generateText({ model, prompt: "It crashes", maxRetries: 0 })).text).toBe("tech");
    expect(seen).toEqual([0, 1]);
  });

  it("surfaces an HTTP 500 as the SDK's APICallError, which the SDK retries", async () => {
    const { model, server } = await serve([{ error: { status: 500, message: "overloaded" } }]);
    const error = await generateText({ model, prompt: "hi", maxRetries: 0 }).catch((thrown: unknown) => thrown);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 500, isRetryable: true, message: "overloaded" });
    await server.close();

    const retried = await serve([{ error: { status: 503, message: "busy" } }, { text: "recovered" }]);
    expect((await generateText({ model: retried.model, prompt: "hi", maxRetries: 1 })).text).toBe("recovered");
    expect(retried.server.requestCount).toBe(2);
  });

  it("says so when the script runs out, without a retryable status", async () => {
    const { model, server } = await serve([{ text: "only one" }]);
    await generateText({ model, prompt: "1", maxRetries: 0 });
    const error = await generateText({ model, prompt: "2", maxRetries: 2 }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect((error as Error).message).toContain("no response for request 2: the script has 1 response");
    expect(server.requestCount).toBe(2);
  });

  it("streams text with usage when stream_options.include_usage asks for it", async () => {
    const { model, server } = await serve([{ text: "A streamed answer that spans several chunks.", usage: { promptTokens: 9, completionTokens: 11 } }]);
    const result = streamText({ model, prompt: "stream please", maxRetries: 0 });
    const chunks: string[] = [];
    for await (const chunk of result.textStream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe("A streamed answer that spans several chunks.");
    expect(await result.usage).toMatchObject({ inputTokens: 9, outputTokens: 11 });
    expect(await result.finishReason).toBe("stop");
    expect(server.requests[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("streams no usage when the client does not ask, like OpenAI", async () => {
    const { model } = await serve([{ text: "quiet" }], { includeUsage: false });
    const result = streamText({ model, prompt: "hi", maxRetries: 0 });
    expect(await result.text).toBe("quiet");
    expect((await result.usage).inputTokens).toBeUndefined();
  });

  it("streams a tool call round-trip in fragments", async () => {
    const { model, server } = await serve([{ toolCalls: [{ name: "weather", arguments: { city: "Reykjavík, the capital of Iceland" } }] }, { text: "Cold." }]);
    const result = streamText({ model, tools: { weather }, prompt: "Weather?", stopWhen: isStepCount(3), maxRetries: 0 });
    expect(await result.text).toBe("Cold.");
    const steps = await result.steps;
    expect(steps[0]!.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Reykjavík, the capital of Iceland" } });
    expect(server.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", content: JSON.stringify({ city: "Reykjavík, the capital of Iceland", celsius: 21 }) });
  });

  it("stops waiting on a scripted delay when the client aborts", async () => {
    const { model } = await serve([{ text: "too late", delayMs: 10_000 }]);
    // Were the delay not aborted, the call would resolve with "too late" after 10 s instead of rejecting.
    await expect(generateText({ model, prompt: "hi", maxRetries: 0, abortSignal: AbortSignal.timeout(100) })).rejects.toThrow();
  });

  it("lists models and rejects other routes and bad bodies in OpenAI's error shape", async () => {
    server = await startScriptedOpenAIServer({ script: [], models: ["llama3.2"] });
    expect(await (await fetch(`${server.baseURL}/models`)).json()).toMatchObject({ object: "list", data: [{ id: "llama3.2", object: "model" }] });
    const missing = await fetch(`${server.baseURL}/embeddings`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    const bad = await fetch(`${server.baseURL}/chat/completions`, { method: "POST", body: JSON.stringify({ messages: "no" }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect(server.requestCount).toBe(0);
  });
});

describe("scripted OpenAI server CLI", () => {
  it("serves a JSON script file on the port it prints", async () => {
    const directory = await mkdtemp(join(tmpdir(), "cadre-scripted-"));
    const scriptPath = join(directory, "script.json");
    await writeFile(scriptPath, JSON.stringify([{ text: "from the CLI" }]));
    const child = spawn(process.execPath, ["src/testing/scripted-openai-server.ts", "--script", scriptPath, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const baseURL = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /http:\/\/127\.0\.0\.1:\d+\/v1/.exec(output);
          if (match) resolve(match[0]);
        });
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.once("exit", (code) => reject(new Error(`CLI exited ${code}: ${output}`)));
      });
      const model = createOpenAICompatible({ name: "cli", baseURL }).chatModel("any");
      expect((await generateText({ model, prompt: "hi", maxRetries: 0 })).text).toBe("from the CLI");
    } finally {
      child.kill("SIGTERM");
      await rm(directory, { recursive: true, force: true });
    }
  });
});
