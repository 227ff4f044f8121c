import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, type Runtime } from "../../src/index.ts";
import { percentile95 } from "../../src/internal.ts";
import { dialects } from "../helpers/stores.ts";
import { callsOf, runtimeFixture, sleep } from "./helpers.ts";

/** Journals `durations` as completed (or failed) calls of `agent`, as earlier runs would have. */
async function seed(runtime: Runtime, agent: string, durations: number[], options: { status?: "completed" | "failed"; at: number; run: string }) {
  await runtime.store.db
    .insertInto("steps")
    .values(
      durations.map((duration, index) => ({
        run_id: options.run,
        key: `${index + 1}:${agent}`,
        attempt: 1,
        name: agent,
        type: "agent" as const,
        agent,
        status: options.status ?? ("completed" as const),
        input: null,
        output: null,
        error: null,
        idempotency_key: `${options.run}-${index}`,
        started_at: options.at - duration,
        ended_at: options.at + index,
        duration_ms: duration,
      })),
    )
    .execute();
}

describe.each(await dialects())("adaptive timeouts on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("follows the journaled p95, with a fallback until enough samples exist", async () => {
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
    const runtime = await open([adaptive], [workflow]);
    // Few samples: the fallback (1 s) applies, so a 150 ms call passes.
    sleepMs = 150;
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["ok"]);

    const durations = Array.from({ length: 40 }, (_, index) => 20 + index);
    await seed(runtime, "adaptive", durations, { at: Date.now(), run: "seeded" });
    runtime.timeouts.invalidate();
    const expected = Math.ceil(percentile95([...durations, 150]) * 2);
    expect(expected).toBe(116);
    const result = await (await runtime.start(workflow, { times: 1 })).result();
    expect(result.output).toEqual(["STEP_TIMEOUT"]);
    const steps = await runtime.getSteps(result.runId);
    expect(steps[0]?.error).toMatchObject({ code: "STEP_TIMEOUT", details: { timeoutMs: expected } });
  });

  it("reads the journal at most once per refresh period, counts only completed agent calls and stays within min and max", async () => {
    const clock = { now: 1_700_000_000_000 };
    const agent = defineAgent({
      name: "learned",
      owner: "tests",
      purpose: "has a learned timeout",
      timeout: { p95: true, factor: 2, min: 50, max: 600, minSamples: 10, fallback: 1_000 },
      input: z.object({}),
      output: z.string(),
      run: () => "done",
    });
    const runtime = await open([agent], [], { now: () => clock.now });
    const timeout = () => runtime.timeouts.timeoutFor("learned", agent.timeout);
    expect(await timeout()).toBe(1_000);

    await seed(runtime, "learned", Array(10).fill(100), { at: clock.now, run: "first" });
    await seed(runtime, "learned", Array(30).fill(60_000), { at: clock.now, run: "failures", status: "failed" });
    expect(await timeout()).toBe(1_000); // cached: no query before the refresh period ends
    clock.now += 10_001;
    expect(await timeout()).toBe(200); // p95 100 ms × 2; the failed calls do not count

    await seed(runtime, "learned", Array(10).fill(400), { at: clock.now, run: "slower" });
    clock.now += 10_001;
    expect(await timeout()).toBe(600); // 400 × 2 capped at max

    await seed(runtime, "learned", Array(200).fill(5), { at: clock.now + 100, run: "faster" });
    clock.now += 10_001;
    expect(await timeout()).toBe(50); // the last 200 calls took 5 ms: 10 ms raised to min
  });

  it("percentile95 is the nearest-rank 95th percentile", () => {
    expect(percentile95([])).toBe(0);
    expect(percentile95([7])).toBe(7);
    expect(percentile95(Array.from({ length: 100 }, (_, index) => index + 1))).toBe(95);
    expect(percentile95(Array.from({ length: 20 }, (_, index) => 20 - index))).toBe(19);
  });
});
