import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, type Agent } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { deferred } from "../helpers/deferred.ts";
import { callsOf, runtimeFixture } from "./helpers.ts";

/**
 * An agent that sleeps `ms` and records how many of its calls overlap. With `hold`, its n-th
 * call instead waits for `hold(n)`, ignoring its abort signal, and reports its end to `onEnd`.
 */
function tracked(name: string, options: { bulkhead: Agent["bulkhead"]; ms: number; timeout?: number; hold?: (call: number) => Promise<void>; onEnd?: () => void }) {
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
        if (options.hold) await options.hold(stats.calls);
        else await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.ms);
          context.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
        return "done";
      } finally {
        stats.running -= 1;
        options.onEnd?.();
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
    // The agent ignores its abort signal: after its 40 ms timeout each call keeps running until
    // the test releases it.
    const releases = [deferred(), deferred()];
    let ended = deferred();
    const stubborn = tracked("stubborn", { bulkhead: { maxConcurrency: 1, queue: 5 }, ms: 0, timeout: 40, hold: (call) => releases[call - 1]!.promise, onEnd: () => ended.resolve() });
    const workflow = callsOf(stubborn.agent);
    const runtime = await open([stubborn.agent], [workflow]);
    const first = await (await runtime.start(workflow, { times: 2, concurrent: true })).result();
    expect((first.output as string[]).sort()).toEqual(["BULKHEAD_FULL", "STEP_TIMEOUT"]);
    expect(stubborn.stats).toMatchObject({ peak: 1, calls: 1 });
    const refused = (await runtime.getSteps(first.runId)).find((step) => step.error?.code === "BULKHEAD_FULL");
    expect(refused?.error).toMatchObject({ details: { waitedMs: 40 } });

    // Still held by the stubborn effect: a new call waits, then gives up.
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["BULKHEAD_FULL"]);
    expect(stubborn.stats).toMatchObject({ running: 1, calls: 1 });
    releases[0]!.resolve();
    await ended.promise;
    ended = deferred();
    // The slot is free once the effect really ended: the next call runs (and times out in turn).
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["STEP_TIMEOUT"]);
    expect(stubborn.stats).toMatchObject({ peak: 1, calls: 2 });
    releases[1]!.resolve();
    await ended.promise;
  });
});
