import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, usd, type Agent } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds, paidTool } from "./fixtures.ts";

/** An injected clock, so the day and month of every charge are known whenever the test runs. */
const firstDay = Date.parse("2026-03-10T12:00:00Z");
const dayMs = 86_400_000;

describe.each(await dialects())("the standing-cap warning on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  let now = firstDay;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
    now = firstDay;
  });

  /** An agent making `times` calls of a $0.01 tool one after another, so the audit order is the charge order. */
  const spender = (budget: Agent["budget"]) => {
    const tool = paidTool({ name: "meter", price: usd(0.01) });
    return defineAgent({
      name: "spender",
      owner: "tests",
      purpose: "spends a cent a call",
      tools: [tool],
      grants: [{ scope: tool.scope }],
      budget,
      input: z.object({ times: z.number() }),
      output: z.number(),
      run: async ({ times }, context) => {
        for (let i = 0; i < times; i += 1) await context.tools.call(tool, { i });
        return times;
      },
    });
  };

  const open = async (agent: Agent) => {
    location = await freshStoreLocation(dialect);
    const workflow = defineWorkflow({ name: "spend", input: z.object({ times: z.number() }), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(agent, input) });
    runtime = await Runtime.open({ store: location.location, agents: [agent], workflows: [workflow], now: () => now });
    return runtime;
  };

  /** The settle and warning records of a run, in order: `settle` for a charge, the warning's data for a warning. */
  const chargesAndWarnings = async (rt: Runtime, runId: string) =>
    (await auditKinds(rt.store, runId)).flatMap((record): Array<string | Record<string, unknown>> => (record.kind === "gateway.settle" ? ["settle"] : record.kind === "budget.warning" ? [{ agent: record.agent, ...record.data }] : []));

  it("exactly the charge that reaches a custom warnAt writes one warning, not the ones before or after it", async () => {
    const rt = await open(spender({ perDay: usd(0.1), warnAt: 0.5 }));
    const first = await (await rt.start("spend", { times: 9 })).result();
    expect(first.status).toBe("completed");
    const warning = { agent: "spender", period: "day", capMicros: usd(0.1), spentMicros: usd(0.05) };
    expect(await chargesAndWarnings(rt, first.runId)).toEqual(["settle", "settle", "settle", "settle", "settle", warning, "settle", "settle", "settle", "settle"]);
    // The cap stands across runs: the next run's charge, past the threshold already, warns no more.
    const second = await (await rt.start("spend", { times: 1 })).result();
    expect(await chargesAndWarnings(rt, second.runId)).toEqual(["settle"]);
  });

  it("a threshold between two charges warns on the charge that steps over it", async () => {
    const rt = await open(spender({ perDay: usd(0.1), warnAt: 0.55 }));
    const result = await (await rt.start("spend", { times: 8 })).result();
    const warning = { agent: "spender", period: "day", capMicros: usd(0.1), spentMicros: usd(0.06) };
    expect(await chargesAndWarnings(rt, result.runId)).toEqual(["settle", "settle", "settle", "settle", "settle", "settle", warning, "settle", "settle"]);
  });

  it("each standing cap warns on its own crossing; warnAt defaults to 0.8", async () => {
    const rt = await open(spender({ perDay: usd(0.05), perMonth: usd(0.1) }));
    const daily = (spent: number) => ({ agent: "spender", period: "day", capMicros: usd(0.05), spentMicros: spent });
    const firstResult = await (await rt.start("spend", { times: 4 })).result();
    expect(firstResult.status).toBe("completed");
    // Day one: 4 of 5 cents is 80% of the day cap; 4 of 10 cents of the month cap is not.
    expect(await chargesAndWarnings(rt, firstResult.runId)).toEqual(["settle", "settle", "settle", "settle", daily(usd(0.04))]);
    now = firstDay + dayMs;
    const secondResult = await (await rt.start("spend", { times: 4 })).result();
    // Day two has a cap of its own; its fourth charge crosses both it and the month cap (8 of 10 cents).
    const monthly = { agent: "spender", period: "month", capMicros: usd(0.1), spentMicros: usd(0.08) };
    expect(await chargesAndWarnings(rt, secondResult.runId)).toEqual(["settle", "settle", "settle", "settle", daily(usd(0.04)), monthly]);
  });
});
