import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, percentile95, type Agent, type Workflow } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(await dialects())("breakers, bulkheads, adaptive timeouts, partial results on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  const open = async (agents: Agent[], workflows: Workflow[]) => {
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents, workflows });
    return runtime;
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  const callsOf = (agent: Agent) =>
    defineWorkflow({
      name: "calls",
      input: z.object({ times: z.number(), concurrent: z.boolean().default(false) }),
      output: z.array(z.string()),
      run: async ({ times, concurrent }, ctx) => {
        const one = (context: typeof ctx) => context.call(agent, {}).then(() => "ok", (error: { code: string }) => error.code);
        if (concurrent) return ctx.parallel(Array.from({ length: times }, () => (branch) => one(branch)));
        const outcomes: string[] = [];
        for (let i = 0; i < times; i += 1) outcomes.push(await one(ctx));
        return outcomes;
      },
    });

  it("a breaker opens after its threshold, fails fast without calling the agent, probes when half-open and closes on success", async () => {
    let calls = 0;
    let failing = true;
    const fragile = defineAgent({
      name: "fragile",
      owner: "tests",
      purpose: "fails until fixed",
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 150 },
      input: z.object({}),
      output: z.string(),
      run: async () => {
        calls += 1;
        if (failing) throw new Error("upstream down");
        return "fine";
      },
    });
    const workflow = callsOf(fragile);
    const rt = await open([fragile], [workflow]);
    const broken = await (await rt.start(workflow, { times: 5 })).result();
    expect(broken.output).toEqual(["STEP_FAILED", "STEP_FAILED", "STEP_FAILED", "CIRCUIT_OPEN", "CIRCUIT_OPEN"]);
    expect(calls).toBe(3);
    // Fail-fast attempts are journaled as failed attempts of their steps.
    const steps = await rt.getSteps(broken.runId);
    expect(steps[3]).toMatchObject({ status: "failed", error: { code: "CIRCUIT_OPEN" } });
    await rt.store.flush();
    expect(await rt.store.db.selectFrom("breakers").select(["state"]).where("name", "=", "agent:fragile").executeTakeFirst()).toEqual({ state: "open" });

    await sleep(200);
    failing = false;
    const healed = await (await rt.start(workflow, { times: 3 })).result();
    expect(healed.output).toEqual(["ok", "ok", "ok"]);
    expect(calls).toBe(6);
    await rt.store.flush();
    expect(await rt.store.db.selectFrom("breakers").select(["state"]).where("name", "=", "agent:fragile").executeTakeFirst()).toEqual({ state: "closed" });
  });

  it("half-open lets exactly the configured number of probes through", async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    let failing = true;
    const probed = defineAgent({
      name: "probed",
      owner: "tests",
      purpose: "records when probes run",
      circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 100, halfOpenProbes: 2 },
      input: z.object({}),
      output: z.string(),
      run: async () => {
        if (failing) throw new Error("down");
        starts.push(performance.now());
        await sleep(50);
        ends.push(performance.now());
        return "up";
      },
    });
    const workflow = callsOf(probed);
    const rt = await open([probed], [workflow]);
    await (await rt.start(workflow, { times: 1 })).result();
    await sleep(150);
    failing = false;
    const result = await (await rt.start(workflow, { times: 5, concurrent: true })).result();
    expect(result.output).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    // Two probes ran; the other calls waited for their verdict before running.
    const firstEnd = Math.min(...ends);
    expect(starts.filter((start) => start < firstEnd)).toHaveLength(2);
  });

  it("a bulkhead never lets more than its limit run at once, and refuses past its queue", async () => {
    let running = 0;
    let peak = 0;
    const limited = defineAgent({
      name: "limited",
      owner: "tests",
      purpose: "slow and shared",
      bulkhead: { maxConcurrency: 2, queue: 10 },
      input: z.object({}),
      output: z.string(),
      run: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(30);
        running -= 1;
        return "done";
      },
    });
    const strict = defineAgent({ ...limited, name: "strict", bulkhead: { maxConcurrency: 1 } });
    const workflow = callsOf(limited);
    const strictWorkflow = defineWorkflow({ ...callsOf(strict), name: "strict-calls" });
    const rt = await open([limited, strict], [workflow, strictWorkflow]);
    const result = await (await rt.start(workflow, { times: 7, concurrent: true })).result();
    expect(result.output).toEqual(Array(7).fill("ok"));
    expect(peak).toBe(2);
    const refused = await (await rt.start(strictWorkflow, { times: 3, concurrent: true })).result();
    expect((refused.output as string[]).sort()).toEqual(["BULKHEAD_FULL", "BULKHEAD_FULL", "ok"]);
  });

  it("an adaptive timeout follows the journaled p95, with a fallback until enough samples exist", async () => {
    let sleepMs = 0;
    const adaptive = defineAgent({
      name: "adaptive",
      owner: "tests",
      purpose: "has a learned timeout",
      timeout: { p95: true, factor: 2, min: 5, max: 10_000, minSamples: 20, fallback: 1_000 },
      input: z.object({}),
      output: z.string(),
      run: async () => {
        await sleep(sleepMs);
        return "done";
      },
    });
    const workflow = callsOf(adaptive);
    const rt = await open([adaptive], [workflow]);
    // Few samples: the fallback (1 s) applies, so a 150 ms call passes.
    sleepMs = 150;
    expect((await (await rt.start(workflow, { times: 1 })).result()).output).toEqual(["ok"]);

    const durations = Array.from({ length: 40 }, (_, index) => 20 + index);
    const now = Date.now();
    await rt.store.db
      .insertInto("steps")
      .values(durations.map((duration, index) => ({ run_id: "seeded", key: `${index + 1}:adaptive`, attempt: 1, name: "adaptive", type: "agent" as const, agent: "adaptive", status: "completed" as const, input: null, output: null, error: null, idempotency_key: `k${index}`, started_at: now - duration, ended_at: now + index, duration_ms: duration })))
      .execute();
    rt.timeouts.invalidate();
    const expected = Math.ceil(percentile95([...durations, 150]) * 2);
    expect(expected).toBe(116);
    const result = await (await rt.start(workflow, { times: 1 })).result();
    expect(result.output).toEqual(["STEP_TIMEOUT"]);
    const steps = await rt.getSteps(result.runId);
    expect(steps[0]?.error).toMatchObject({ code: "STEP_TIMEOUT", details: { timeoutMs: expected } });
  });

  it("minSuccess returns partial results with typed failures and the run ends partial; below it the join fails", async () => {
    const maybe = defineAgent({
      name: "maybe",
      owner: "tests",
      purpose: "fails for odd inputs",
      input: z.object({ n: z.number() }),
      output: z.number(),
      run: ({ n }) => {
        if (n % 2 === 1) throw new Error(`odd ${n}`);
        return n;
      },
    });
    const fanOut = defineWorkflow({
      name: "fan-out",
      input: z.object({ minSuccess: z.number() }),
      output: z.any(),
      run: async ({ minSuccess }, ctx) => {
        const joined = await ctx.map([0, 1, 2, 3, 4].map((n) => ({ n })), maybe, { minSuccess });
        return { values: joined.values, failed: joined.failures.map((failure) => [failure.index, failure.error.code]) };
      },
    });
    const rt = await open([maybe], [fanOut]);
    const partial = await (await rt.start(fanOut, { minSuccess: 3 })).result();
    expect(partial).toMatchObject({ status: "partial", output: { values: [0, 2, 4], failed: [[1, "STEP_FAILED"], [3, "STEP_FAILED"]] } });
    const failed = await (await rt.start(fanOut, { minSuccess: 4 })).result();
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "PARALLEL_FAILED", details: { succeeded: 3, required: 4 } });
  });
});
