import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

describe.each(await dialects())("replay of a run still executing (%s)", (dialect) => {
  const open = runtimeFixture(dialect);

  it("replays up to where the journal ends, parks there, and changes nothing of the run", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = defineAgent({ name: "first", owner: "t", purpose: "t", input: z.object({ n: z.number() }), output: z.number(), run: async ({ n }) => n + 1 });
    const blocking = defineAgent({ name: "blocking", owner: "t", purpose: "t", input: z.number(), output: z.number(), run: async (n) => {
      entered();
      await released;
      return n * 2;
    } });
    const flow = defineWorkflow({ name: "two-steps", input: z.object({ n: z.number() }), output: z.number(), run: async (input, ctx) => ctx.call(blocking, await ctx.call(first, input)) });
    const runtime = await open([first, blocking], [flow]);
    const handle = await runtime.start(flow, { n: 1 });
    await inside;

    // Another process's view: the run is running, its second step started and not ended.
    const observer = await open([first, blocking], [flow], { provision: false });
    const report = await observer.replay(handle.runId);

    expect(report).toMatchObject({ verdict: "consistent", runStatus: "running", outcome: { status: "waiting" } });
    expect(report.steps.map((step) => [step.key, step.status, step.output])).toEqual([["1:first", "completed", 2], ["2:blocking", "started", undefined]]);
    release();
    const result = await handle.result();
    expect(result).toMatchObject({ status: "completed", output: 4 });
    expect(await observer.replay(handle.runId)).toMatchObject({ verdict: "consistent", outcome: { status: "completed", output: 4 } });
  });
});
