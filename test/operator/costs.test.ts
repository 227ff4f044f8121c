import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, openOperator, usd, type Operator } from "../../src/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { userInput } from "../evaluation/fixtures.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

/**
 * A journal with token counts and prices known by hand (list prices as of the shipped table):
 * - router (openai:gpt-4o-mini, $0.15/$0.60 per 1M): 100 in + 10 out = 21 µ$ a call;
 * - writer (openai:gpt-4.1, $2/$8 per 1M), run in a child workflow: size × (1000 in + 100 out) = 2800 × size µ$;
 * - solo, the single-agent baseline (openai:gpt-4.1): 500 in + 50 out = 1400 µ$.
 * Five pipeline runs of sizes 1..5 cost 2821, 5621, 8421, 11221, 14021 µ$ and use 1210 … 5610 tokens.
 */
function scripted(modelId: string) {
  return createScriptedModel({
    provider: "openai",
    modelId,
    script: (call) => {
      const input = userInput(call) as { size?: number; kind?: string };
      if (input.kind === "route") return { json: { queue: "a" }, usage: { promptTokens: 100, completionTokens: 10 } };
      if (input.kind === "tight") return { json: { text: "long" }, usage: { promptTokens: 5000, completionTokens: 10 } };
      if (input.kind === "solo") return { json: { text: "done" }, usage: { promptTokens: 500, completionTokens: 50 } };
      return { json: { text: "written" }, usage: { promptTokens: 1000 * input.size!, completionTokens: 100 * input.size! } };
    },
  });
}

// maxOutputTokens 2000 makes every hold cover the call's real cost, so the ledger charges exactly the tokens' price.
const modelAgent = (name: string, model: string, maxOutputTokens = 2000) =>
  defineAgent({ name, owner: "tests", purpose: name, model, instructions: `You are ${name}.`, input: z.object({ kind: z.string(), size: z.number().optional() }), output: z.any(), maxOutputTokens });
const router = modelAgent("router", "openai:gpt-4o-mini");
const writer = modelAgent("writer", "openai:gpt-4.1");
const solo = modelAgent("solo", "openai:gpt-4.1");
// Its hold (a short prompt, 10 output tokens) is far below what its 5000 prompt tokens cost: 5000 × $2/M + 10 × $8/M = 10080 µ$.
const squeezed = modelAgent("squeezed", "openai:gpt-4.1", 10);
const tight = defineWorkflow({ name: "tight", input: z.object({}), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (_input, ctx) => ctx.call(squeezed, { kind: "tight" }) });
const write = defineWorkflow({ name: "write", input: z.object({ size: z.number() }), output: z.any(), run: ({ size }, ctx) => ctx.call(writer, { kind: "write", size }) });
const pipeline = defineWorkflow({
  name: "pipeline",
  input: z.object({ size: z.number() }),
  output: z.any(),
  budget: { perRun: usd(1), allocation: usd(100) },
  run: async ({ size }, ctx) => {
    await ctx.call(router, { kind: "route" });
    return ctx.call(write, { size }, { budget: usd(0.5) });
  },
});
const single = defineWorkflow({ name: "single", input: z.object({}), output: z.any(), budget: { perRun: usd(1), allocation: usd(100) }, run: (_input, ctx) => ctx.call(solo, { kind: "solo" }) });

describe.each(await dialects())("token economics: cadre cost (%s)", (dialect) => {
  let runtime: Runtime | undefined;
  let location: TestStoreLocation | undefined;
  afterEach(async () => {
    await runtime?.close();
    await location?.cleanup();
    runtime = location = undefined;
  });

  /** Two baseline runs at t=1000, then five pipeline runs at t=10_000 (the runtime's clock, injected); with `squeeze`, one run of `tight` too. */
  async function journal(options: { squeeze?: boolean } = {}): Promise<Operator> {
    location = await freshStoreLocation(dialect);
    const clock = { now: 1000 };
    runtime = await Runtime.open({
      store: location.location,
      agents: [router, writer, solo, squeezed],
      workflows: [pipeline, write, single, tight],
      models: { instances: { "openai:gpt-4o-mini": scripted("gpt-4o-mini"), "openai:gpt-4.1": scripted("gpt-4.1") } },
      now: () => clock.now,
    });
    for (let run = 0; run < 2; run += 1) expect((await (await runtime.start(single, {})).result()).status).toBe("completed");
    clock.now = 10_000;
    for (const size of [3, 1, 5, 2, 4]) expect((await (await runtime.start(pipeline, { size })).result()).status).toBe("completed");
    if (options.squeeze) expect((await (await runtime.start(tight, {})).result()).status).toBe("completed");
    return openOperator({ store: runtime.store });
  }

  it("tokens and cost per run (p50 / p95 / max) by workflow, agent and model; child runs count towards their root", async () => {
    const operator = await journal();
    const report = await operator.costs.report({ workflow: "pipeline" });
    expect(report.perRun).toEqual({
      runs: 5,
      tokens: { p50: 3410, p95: 5610, max: 5610, total: 17050, mean: 3410 },
      costMicros: { p50: 8421, p95: 14021, max: 14021, total: 42105, mean: 8421 },
    });
    expect(report.byWorkflow.map((row) => row.workflow)).toEqual(["pipeline"]);
    expect(report.overrunMicros).toBe(0);
    expect(report.byAgentModel).toEqual([
      {
        agent: "writer",
        model: "openai:gpt-4.1",
        runs: 5,
        calls: 5,
        inputTokens: 15_000,
        outputTokens: 1500,
        cachedInputTokens: 0,
        costMicros: 42_000,
        tokensPerRun: { p50: 3300, p95: 5500, max: 5500, total: 16_500, mean: 3300 },
        costPerRun: { p50: 8400, p95: 14_000, max: 14_000, total: 42_000, mean: 8400 },
      },
      {
        agent: "router",
        model: "openai:gpt-4o-mini",
        runs: 5,
        calls: 5,
        inputTokens: 500,
        outputTokens: 50,
        cachedInputTokens: 0,
        costMicros: 105,
        tokensPerRun: { p50: 110, p95: 110, max: 110, total: 550, mean: 110 },
        costPerRun: { p50: 21, p95: 21, max: 21, total: 105, mean: 21 },
      },
    ]);
    expect(report.projection).toBeNull();
    // Without --workflow every root workflow is listed; the child workflow "write" is not a root.
    const all = await operator.costs.report();
    expect(all.byWorkflow.map((row) => [row.workflow, row.runs, row.costMicros.total])).toEqual([
      ["pipeline", 5, 42_105],
      ["single", 2, 2800],
    ]);
  });

  it("names the cost a call's hold did not cover: charged plus overrun is the tokens' list price", async () => {
    const operator = await journal({ squeeze: true });
    const report = await operator.costs.report({ workflow: "tight" });
    const charged = report.perRun.costMicros.total;
    expect(charged).toBeGreaterThan(0);
    expect(report.overrunMicros).toBeGreaterThan(0);
    expect(charged + report.overrunMicros).toBe(10_080);
    expect((await operator.costs.report({ workflow: "pipeline" })).overrunMicros).toBe(0);
  });

  it("projects a daily volume exactly, in whole micro-units rounded up", async () => {
    const operator = await journal();
    const { projection } = await operator.costs.report({ workflow: "pipeline", runsPerDay: 1000 });
    expect(projection).toEqual({ runsPerDay: 1000, tokensPerDay: 3_410_000, costPerDayMicros: 8_421_000, costPer30DaysMicros: 252_630_000 });
    // 42105 × 7 ÷ 5 = 58947 exactly; × 3 ÷ 5 = 25263; 42105 × 1 ÷ 5 = 8421.
    expect((await operator.costs.report({ workflow: "pipeline", runsPerDay: 7 })).projection!.costPerDayMicros).toBe(58_947);
    expect((await operator.costs.report({ workflow: "single", runsPerDay: 3 })).projection).toEqual({ runsPerDay: 3, tokensPerDay: 1650, costPerDayMicros: 4200, costPer30DaysMicros: 126_000 });
    await expect(operator.costs.report({ runsPerDay: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("reprices the same tokens under another model assignment with the dated price table", async () => {
    const operator = await journal();
    const report = await operator.costs.report({ workflow: "pipeline", runsPerDay: 1000, whatIf: { writer: "openai:gpt-4o-mini" } });
    // writer at gpt-4o-mini: size × (1000 × 0.15 + 100 × 0.60) = 210 × size µ$.
    expect(report.whatIf).toEqual({
      assignment: { writer: "openai:gpt-4o-mini" },
      rows: [
        { agent: "writer", model: "openai:gpt-4.1", toModel: "openai:gpt-4o-mini", costMicros: 42_000, whatIfMicros: 3150 },
        { agent: "router", model: "openai:gpt-4o-mini", toModel: "openai:gpt-4o-mini", costMicros: 105, whatIfMicros: 105 },
      ],
      actualMicros: 42_105,
      whatIfMicros: 3255,
      savedMicros: 38_850,
      costPerRun: { p50: 651, p95: 1071, max: 1071, total: 3255, mean: 651 },
      projection: { runsPerDay: 1000, tokensPerDay: 3_410_000, costPerDayMicros: 651_000, costPer30DaysMicros: 19_530_000 },
    });
    expect(report.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // `*` stands for every agent not named; a configured price wins over the shipped table.
    const configured = await operator.costs.report({ workflow: "pipeline", whatIf: { "*": "local:tiny" }, prices: { "local:tiny": { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } } });
    expect(configured.whatIf!.whatIfMicros).toBe(17_050);
    await expect(operator.costs.report({ workflow: "pipeline", whatIf: { writer: "openai:no-such-model" } })).rejects.toMatchObject({ code: "CONFIGURATION", details: { reason: "unknown-price" } });
    await expect(operator.costs.report({ workflow: "pipeline", whatIf: { wrtier: "openai:gpt-4o-mini" } })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { unknown: ["wrtier"], agents: ["router", "writer"] } });
  });

  it("compares tokens and cost per run with a single-agent baseline, within the same window", async () => {
    const operator = await journal();
    const { baseline } = await operator.costs.report({ workflow: "pipeline", baseline: "single" });
    expect(baseline).toEqual({
      workflow: "single",
      runs: 2,
      tokens: { p50: 550, p95: 550, max: 550, total: 1100, mean: 550 },
      costMicros: { p50: 1400, p95: 1400, max: 1400, total: 2800, mean: 1400 },
      tokensMultiplier: 3410 / 550,
      costMultiplier: 42_105 / 5 / 1400,
    });
    // --since leaves the baseline's earlier runs out: nothing to compare with is an error, not a multiplier of zero.
    const recent = await operator.costs.report({ since: 5000 });
    expect(recent.byWorkflow.map((row) => row.workflow)).toEqual(["pipeline"]);
    await expect(operator.costs.report({ workflow: "pipeline", baseline: "single", since: 5000 })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { baseline: "single", since: 5000 } });
    await expect(operator.costs.report({ baseline: "single" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect((await operator.costs.report({ workflow: "nothing-ran" })).perRun).toEqual({ runs: 0, tokens: { p50: 0, p95: 0, max: 0, total: 0, mean: 0 }, costMicros: { p50: 0, p95: 0, max: 0, total: 0, mean: 0 } });
  });
});
