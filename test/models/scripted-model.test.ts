import { APICallError, Output, generateText, isStepCount, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedModel } from "../../src/testing/index.ts";

const lookup = tool({
  description: "look up a fact",
  inputSchema: z.object({ topic: z.string() }),
  execute: async ({ topic }) => `fact about ${topic}`,
});

describe("scripted model (AI SDK provider spec v4, no HTTP)", () => {
  it("answers generateText from the script and counts calls", async () => {
    const model = createScriptedModel({ script: [{ text: "first", usage: { promptTokens: 5, completionTokens: 2 } }, { json: { ok: true } }] });
    expect(model).toMatchObject({ specificationVersion: "v4", provider: "scripted", modelId: "model" });
    const first = await generateText({ model, prompt: "one", maxRetries: 0 });
    expect(first.text).toBe("first");
    expect(first.usage).toMatchObject({ inputTokens: 5, outputTokens: 2, totalTokens: 7 });
    expect(first.response.modelId).toBe("model");
    expect(JSON.parse((await generateText({ model, prompt: "two", maxRetries: 0 })).text)).toEqual({ ok: true });
    expect(model.callCount).toBe(2);
    expect(model.calls[1]!.prompt).toEqual([{ role: "user", content: [{ type: "text", text: "two" }] }]);
  });

  it("runs a tool round-trip through generateText", async () => {
    const model = createScriptedModel({
      script: [{ toolCalls: [{ name: "lookup", arguments: { topic: "tides" } }], usage: { promptTokens: 20, completionTokens: 5, cachedTokens: 10 } }, { text: "Tides follow the moon." }],
    });
    const result = await generateText({ model, tools: { lookup }, prompt: "Tell me about tides", stopWhen: isStepCount(3), maxRetries: 0 });
    expect(result.text).toBe("Tides follow the moon.");
    expect(result.steps[0]!.finishReason).toBe("tool-calls");
    expect(result.steps[0]!.toolResults[0]).toMatchObject({ toolName: "lookup", toolCallId: "call_1_0", output: "fact about tides" });
    expect(result.steps[0]!.usage.inputTokenDetails).toMatchObject({ cacheReadTokens: 10, noCacheTokens: 10 });
    expect(JSON.stringify(model.calls[1]!.prompt)).toContain("fact about tides");
    expect(model.calls[0]!.tools?.[0]).toMatchObject({ type: "function", name: "lookup" });
  });

  it("streams text and tool calls", async () => {
    const model = createScriptedModel({ script: [{ toolCalls: [{ name: "lookup", arguments: { topic: "wind" } }] }, { text: "Wind is moving air, streamed in pieces." }] });
    const result = streamText({ model, tools: { lookup }, prompt: "wind?", stopWhen: isStepCount(3), maxRetries: 0 });
    expect(await result.text).toBe("Wind is moving air, streamed in pieces.");
    expect((await result.steps)[0]!.toolCalls[0]).toMatchObject({ toolName: "lookup", input: { topic: "wind" } });
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it("throws scripted errors as the APICallError an HTTP provider would", async () => {
    const model = createScriptedModel({ script: [{ error: { status: 429, message: "slow down" } }, { error: { status: 400, message: "bad request" } }] });
    const limited = await generateText({ model, prompt: "hi", maxRetries: 0 }).catch((thrown: unknown) => thrown);
    expect(APICallError.isInstance(limited)).toBe(true);
    expect(limited).toMatchObject({ statusCode: 429, isRetryable: true, message: "slow down" });
    await expect(generateText({ model, prompt: "hi", maxRetries: 0 })).rejects.toMatchObject({ statusCode: 400, isRetryable: false });
    await expect(generateText({ model, prompt: "hi", maxRetries: 0 })).rejects.toThrow("no response for request 3: the script has 2 responses");
    expect(model.callCount).toBe(3);
  });

  it("answers a whenJsonSchema response by the call's responseFormat", async () => {
    const answer = { whenJsonSchema: { json: { ok: true } }, otherwise: { text: "Yes, it is fine." } };
    const model = createScriptedModel({ script: [answer, answer] });
    const structured = await generateText({ model, output: Output.object({ schema: z.object({ ok: z.boolean() }) }), prompt: "ok?", maxRetries: 0 });
    expect(structured.output).toEqual({ ok: true });
    expect(model.calls[0]!.responseFormat).toMatchObject({ type: "json", schema: { type: "object", required: ["ok"] } });
    expect((await generateText({ model, prompt: "ok?", maxRetries: 0 })).text).toBe("Yes, it is fine.");
  });

  it("passes the AI SDK call options to a function script", async () => {
    const model = createScriptedModel({ provider: "test", modelId: "echo", script: (options, index) => ({ text: `${index}:${options.maxOutputTokens}` }) });
    expect((await generateText({ model, prompt: "hi", maxOutputTokens: 42, maxRetries: 0 })).text).toBe("0:42");
  });

  it("honours a finish reason and aborts a delay", async () => {
    const model = createScriptedModel({ script: [{ text: "cut", finishReason: "length" }, { text: "late", delayMs: 10_000 }] });
    expect((await generateText({ model, prompt: "hi", maxRetries: 0 })).finishReason).toBe("length");
    // Were the delay not aborted, the call would resolve with "late" after 10 s instead of rejecting.
    await expect(generateText({ model, prompt: "hi", maxRetries: 0, abortSignal: AbortSignal.timeout(50) })).rejects.toThrow();
  });
});
