import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, type Agent } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { callsOf, runtimeFixture, sleep } from "./helpers.ts";

/** An agent that sleeps `ms` (ignoring its abort signal when `stubborn`) and records how many of its calls overlap. */
function tracked(name: string, options: { bulkhead: Agent["bulkhead"]; ms: number; timeout?: number; stubborn?: boolean }) {
  const stats = { running: 0, peak: 0, calls: 0 };
  const agent = defineAgent({
    name,
    owner: "tests",
    purpose: "slow and shared",
    bulkhead: options.bulkhead,
    timeout: options.timeout,
    input: z.object({}),
    output: z.string(),
    run: async (_input, context) => {
      stats.calls += 1;
      stats.running += 1;
      stats.peak = Math.max(stats.peak, stats.running);
      try {
        if (options.stubborn) await sleep(options.ms);
        else await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.ms);
          context.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
        return "done";
      } finally {
        stats.running -= 1;
      }
    },
  });
  return { agent, stats };
}

describe.each(await dialects())("bulkheads on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("never lets more than its limit run at once, queues up to its queue and refuses past it", async () => {
    const limited = tracked("limited", { bulkhead: { maxConcurrency: 2, queue: 10 }, ms: 30 });
    const strict = tracked("strict", { bulkhead: { maxConcurrency: 1 }, ms: 30 });
    const workflow = callsOf(limited.agent);
    const strictWorkflow = callsOf(strict.agent, "strict-calls");
    const runtime = await open([limited.agent, strict.agent], [workflow, strictWorkflow]);
    expect((await (await runtime.start(workflow, { times: 7, concurrent: true })).result()).output).toEqual(Array(7).fill("ok"));
    expect(limited.stats.peak).toBe(2);
    const refused = await (await runtime.start(strictWorkflow, { times: 3, concurrent: true })).result();
    expect((refused.output as string[]).sort()).toEqual(["BULKHEAD_FULL", "BULKHEAD_FULL", "ok"]);
    const steps = await runtime.getSteps(refused.runId);
    expect(steps.find((step) => step.status === "failed")?.error).toMatchObject({ code: "BULKHEAD_FULL", retryable: true, details: { name: "agent:strict", maxConcurrency: 1, queue: 0 } });
  });

  it("counts calls across every run of the runtime", async () => {
    const shared = tracked("shared", { bulkhead: { maxConcurrency: 2, queue: 50 }, ms: 20 });
    const workflow = callsOf(shared.agent);
    const runtime = await open([shared.agent], [workflow]);
    const handles = await Promise.all(Array.from({ length: 4 }, () => runtime.start(workflow, { times: 4, concurrent: true })));
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.map((result) => result.output)).toEqual(Array(4).fill(Array(4).fill("ok")));
    expect(shared.stats).toMatchObject({ peak: 2, calls: 16 });
  });

  it("keeps the slot of a timed-out call until its effect really ends, and a waiting call gives up at its own timeout", async () => {
    // The agent ignores its abort signal: after its 40 ms timeout it keeps running for 200 ms.
    const stubborn = tracked("stubborn", { bulkhead: { maxConcurrency: 1, queue: 5 }, ms: 200, timeout: 40, stubborn: true });
    const workflow = callsOf(stubborn.agent);
    const runtime = await open([stubborn.agent], [workflow]);
    const first = await (await runtime.start(workflow, { times: 2, concurrent: true })).result();
    expect((first.output as string[]).sort()).toEqual(["BULKHEAD_FULL", "STEP_TIMEOUT"]);
    expect(stubborn.stats).toMatchObject({ peak: 1, calls: 1 });
    const refused = (await runtime.getSteps(first.runId)).find((step) => step.error?.code === "BULKHEAD_FULL");
    expect(refused?.error).toMatchObject({ details: { waitedMs: 40 } });

    // Still held by the stubborn effect: a new call waits, then gives up.
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["BULKHEAD_FULL"]);
    await sleep(200);
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["STEP_TIMEOUT"]);
    expect(stubborn.stats).toMatchObject({ peak: 1, calls: 2 });
  });
});
