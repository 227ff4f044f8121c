import { MockLanguageModelV4, convertArrayToReadableStream } from "ai/test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, spendReport, usd, type Agent } from "../../src/index.ts";
import { startScriptedOpenAIServer, type ScriptedOpenAIServer, type ScriptedResponse } from "../../src/testing/index.ts";
import { ledgerTotals } from "../governance/fixtures.ts";
import { notesTool, researcherWith } from "./research-agent.ts";

const notes = notesTool({ price: usd(0.001) });
const researcher = (overrides: Partial<Parameters<typeof defineAgent>[0]> = {}): Agent => researcherWith("openai:gpt-4o-mini", notes, overrides);

describe("model-backed agents through the real OpenAI-compatible provider", () => {
  let server: ScriptedOpenAIServer | undefined;
  let runtime: Runtime | undefined;
  beforeEach(() => {
    delete process.env.CADRE_OPENAI_BASE_URL;
  });
  afterEach(async () => {
    await runtime?.close();
    await server?.close();
    runtime = server = undefined;
    delete process.env.CADRE_OPENAI_BASE_URL;
  });

  async function run(script: ScriptedResponse[], agent: Agent = researcher(), budget = usd(1)) {
    server = await startScriptedOpenAIServer({ script });
    process.env.CADRE_OPENAI_BASE_URL = server.baseURL;
    const workflow = defineWorkflow({
      name: "research",
      input: z.object({ topic: z.string() }),
      output: z.any(),
      budget: { perRun: budget, allocation: usd(10) },
      goal: ({ topic }) => `Brief the board on ${topic}`,
      run: (input, ctx) => ctx.call(agent, input),
    });
    runtime = await Runtime.open({ store: ":memory:", agents: [agent], workflows: [workflow] });
    const result = await (await runtime.start(workflow, { topic: "solar" })).result();
    return { result, steps: await runtime.getSteps(result.runId), rt: runtime, server };
  }

  it("runs the tool loop: each model call and tool call is a journaled, priced step; tokens are attributed", async () => {
    const { result, steps, rt, server } = await run([
      { toolCalls: [{ name: "notes", arguments: { topic: "solar" } }], usage: { promptTokens: 1000, completionTokens: 50 } },
      { text: JSON.stringify({ summary: "Solar is cheap", confidence: 0.9 }), usage: { promptTokens: 2000, completionTokens: 100 } },
    ]);
    expect(result).toMatchObject({ status: "completed", output: { summary: "Solar is cheap", confidence: 0.9 } });
    expect(steps.map((step) => `${step.key} ${step.type}`)).toEqual(["1.t/1:model model", "1.t/2:notes tool", "1.t/3:model model", "1:researcher agent"]);
    // The tool result went back to the model as a tool message.
    expect(server.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", content: JSON.stringify({ notes: "three facts about solar" }) });
    const byModel = await spendReport(rt.store.db, { by: "model", runId: result.runId });
    // (1000 + 2000) × $0.15/M + (50 + 100) × $0.60/M = 450 + 90 micro-dollars.
    expect(byModel).toEqual([{ key: "openai:gpt-4o-mini", calls: 2, spentMicros: 540, inputTokens: 3000, outputTokens: 150 }]);
    expect((await spendReport(rt.store.db, { by: "tool", runId: result.runId }))[0]).toMatchObject({ key: "notes", spentMicros: usd(0.001) });
    expect((await ledgerTotals(rt.store)).held).toBe(0);
  });

  it("re-injects the run's goal into every model call, unless turned off", async () => {
    const first = await run([{ text: JSON.stringify({ summary: "s", confidence: 1 }) }]);
    expect(JSON.stringify(first.server.requests[0]!.messages[0])).toContain("Brief the board on solar");
    await runtime!.close();
    await server!.close();
    runtime = server = undefined;
    const second = await run([{ text: JSON.stringify({ summary: "s", confidence: 1 }) }], researcher({ goalPreamble: false }));
    expect(JSON.stringify(second.server.requests[0]!.messages[0])).not.toContain("Brief the board");
  });

  it("gives one repair turn for invalid structured output, then fails with a typed error", async () => {
    const repaired = await run([{ text: "Solar is great!" }, { text: JSON.stringify({ summary: "fixed", confidence: 0.7 }) }]);
    expect(repaired.result).toMatchObject({ status: "completed", output: { summary: "fixed" } });
    expect(JSON.stringify(repaired.server.requests[1]!.messages.at(-1))).toContain("Your answer was rejected: the answer is not valid JSON");
    await runtime!.close();
    await server!.close();
    runtime = server = undefined;
    const failed = await run([{ text: JSON.stringify({ summary: 1 }) }, { text: JSON.stringify({ summary: "still no confidence" }) }]);
    expect(failed.result.error).toMatchObject({ code: "INVALID_OUTPUT", fault: "model", details: { agent: "researcher" } });
    expect(failed.result.error?.message).toContain("confidence");
    expect(failed.server.requestCount).toBe(2);
  });

  it("stops at maxTurns with a typed error", async () => {
    const loop = Array.from({ length: 6 }, () => ({ toolCalls: [{ name: "notes", arguments: { topic: "again" } }] }));
    const { result, server } = await run(loop, researcher({ maxTurns: 3 }));
    expect(result.error).toMatchObject({ code: "MAX_TURNS", details: { maxTurns: 3 } });
    expect(server.requestCount).toBe(3);
  });

  it("refuses a call its budget cannot cover before any request is sent", async () => {
    const { result, server, rt } = await run([{ text: "never sent" }], researcher({ budget: { perCall: 100 } }));
    expect(result.error).toMatchObject({ code: "BUDGET_EXCEEDED", details: { level: "call" } });
    expect(server.requestCount).toBe(0);
    expect((await ledgerTotals(rt.store)).held).toBe(0);
  });

  it("shows the model a tool it may not use as a refusal, and the loop continues", async () => {
    const { result, server } = await run(
      [{ toolCalls: [{ name: "notes", arguments: { topic: "solar" } }] }, { text: JSON.stringify({ summary: "without notes", confidence: 0.3 }) }],
      researcher({ grants: [] }),
    );
    expect(result.status).toBe("completed");
    expect(String(server.requests[1]!.messages.at(-1)!.content)).toContain("PERMISSION_DENIED");
  });

  it("retries a provider error once, then fails the step with MODEL_ERROR and releases the hold", async () => {
    const { result, server, rt } = await run([{ error: { status: 500, message: "overloaded" } }, { error: { status: 503, message: "still overloaded" } }]);
    expect(result.error).toMatchObject({ code: "MODEL_ERROR", fault: "model" });
    expect(server.requestCount).toBe(2);
    expect((await ledgerTotals(rt.store)).held).toBe(0);
  });
});

describe("model agent turn logic with the AI SDK's mock model", () => {
  it("feeds tool results back and returns the final text (text answers are streamed)", async () => {
    const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };
    const responses: Array<Array<Record<string, unknown>>> = [
      [
        { type: "tool-call" as const, toolCallId: "c1", toolName: "notes", input: JSON.stringify({ topic: "wind" }) },
        { type: "finish" as const, finishReason: { unified: "tool-calls" as const, raw: "tool_calls" }, usage },
      ],
      [
        { type: "text-start" as const, id: "t" },
        { type: "text-delta" as const, id: "t", delta: "Wind is " },
        { type: "text-delta" as const, id: "t", delta: "variable." },
        { type: "text-end" as const, id: "t" },
        { type: "finish" as const, finishReason: { unified: "stop" as const, raw: "stop" }, usage },
      ],
    ];
    const model = new MockLanguageModelV4({ provider: "scripted", modelId: "turns", doStream: responses.map((parts) => ({ stream: convertArrayToReadableStream(parts) })) as never });
    const writer = defineAgent({ name: "writer", owner: "t", purpose: "t", model: "scripted:turns", instructions: "Write.", tools: [notes], grants: [{ scope: "tool:notes" }] });
    const workflow = defineWorkflow({ name: "write", input: z.string(), output: z.string(), budget: { perRun: usd(0.1), allocation: usd(1) }, run: (input, ctx) => ctx.call(writer, input) });
    const runtime = await Runtime.open({
      store: ":memory:",
      agents: [writer],
      workflows: [workflow],
      models: { instances: { "scripted:turns": model as never }, prices: { "scripted:turns": { inputPerMillion: 0, outputPerMillion: 0 } } },
    });
    try {
      const result = await (await runtime.start(workflow, "wind")).result();
      expect(result).toMatchObject({ status: "completed", output: "Wind is variable." });
      expect(model.doStreamCalls).toHaveLength(2);
      const secondPrompt = JSON.stringify(model.doStreamCalls[1]!.prompt);
      expect(secondPrompt).toContain("three facts about wind");
    } finally {
      await runtime.close();
    }
  });
});
