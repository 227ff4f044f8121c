import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, decideApproval, defineAgent, defineWorkflow, type Agent, type Workflow } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the run reaches one of `statuses`. */
async function settled(runtime: Runtime, runId: string, statuses: string[] = ["completed", "failed", "partial"]): Promise<string> {
  for (let tries = 0; tries < 200; tries += 1) {
    const status = (await runtime.getRun(runId))?.status;
    if (status && statuses.includes(status)) return status;
    await sleep(10);
  }
  throw new Error(`run ${runId} did not reach ${statuses.join("/")}`);
}

describe.each(await dialects())("waiting runs on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  const open = async (options: { agents?: Agent[]; workflows: Workflow[] }) => {
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents: options.agents ?? [], workflows: options.workflows });
    return runtime;
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  it("a child run waiting for an approval parks its parent as waiting; the decision resumes the whole tree", async () => {
    let prepared = 0;
    const prepare = defineAgent({ name: "prepare", owner: "t", purpose: "t", input: z.any(), output: z.number(), run: () => ++prepared });
    const child = defineWorkflow({
      name: "payout",
      input: z.object({ amount: z.number() }),
      output: z.string(),
      run: async ({ amount }, ctx) => {
        await ctx.call(prepare, {});
        return `paid ${amount} (approved by ${(await ctx.approval("payout", { request: { amount } })).by})`;
      },
    });
    const parent = defineWorkflow({ name: "batch", input: z.object({}), output: z.any(), run: async (_input, ctx) => ({ result: await ctx.call(child, { amount: 5 }) }) });
    const rt = await open({ agents: [prepare], workflows: [parent, child] });

    const parked = await (await rt.start(parent, {})).result();
    expect(parked.status).toBe("waiting");
    const [childRun] = await rt.listRuns({ parentRunId: parked.runId });
    expect(childRun?.status).toBe("waiting");
    expect(await rt.getSteps(parked.runId)).toEqual([expect.objectContaining({ type: "workflow", status: "waiting" })]);

    await decideApproval(rt.store, { runId: childRun!.id, name: "payout", approved: true, by: "carol" });
    const handle = await rt.wake(childRun!.id);
    expect(handle?.runId).toBe(parked.runId);
    expect(await handle!.result()).toMatchObject({ status: "completed", output: { result: "paid 5 (approved by carol)" } });
    expect((await rt.getRun(childRun!.id))?.status).toBe("completed");
    expect(prepared).toBe(1);
  });

  it("two wakes of one parked run racing in one process both get its handle; it runs once", async () => {
    let prepared = 0;
    const prepare = defineAgent({ name: "prepare", owner: "t", purpose: "t", input: z.any(), output: z.number(), run: () => ++prepared });
    const gated = defineWorkflow({
      name: "gated",
      input: z.object({}),
      output: z.string(),
      run: async (_input, ctx) => {
        await ctx.call(prepare, {});
        return `approved by ${(await ctx.approval("go")).by}`;
      },
    });
    const rt = await open({ agents: [prepare], workflows: [gated] });
    const parked = await (await rt.start(gated, {})).result();
    expect(parked.status).toBe("waiting");
    await decideApproval(rt.store, { runId: parked.runId, name: "go", approved: true, by: "carol" });
    // The second wake would lose the lease to the first and report the run as executed elsewhere.
    const handles = await Promise.all([rt.wake(parked.runId), rt.wake(parked.runId)]);
    expect(handles.map((handle) => handle?.runId)).toEqual([parked.runId, parked.runId]);
    const results = await Promise.all(handles.map((handle) => handle!.result()));
    expect(results.map((result) => result.output)).toEqual(["approved by carol", "approved by carol"]);
    expect(prepared).toBe(1);
  });

  it("a child that finishes on its own wakes the parent parked on it", async () => {
    const child = defineWorkflow({ name: "review", input: z.object({}), output: z.boolean(), run: async (_input, ctx) => (await ctx.approval("ok")).approved });
    const parent = defineWorkflow({ name: "release", input: z.object({}), output: z.any(), run: async (_input, ctx) => ({ reviewed: await ctx.call(child, {}) }) });
    const rt = await open({ workflows: [parent, child] });
    const parked = await (await rt.start(parent, {})).result();
    const [childRun] = await rt.listRuns({ parentRunId: parked.runId });
    await decideApproval(rt.store, { runId: childRun!.id, name: "ok", approved: true, by: "dan" });
    // Resuming only the child: when it completes, the parent waiting on it resumes too.
    expect(await (await rt.resume(childRun!.id)).result()).toMatchObject({ status: "completed", output: true });
    expect(await settled(rt, parked.runId)).toBe("completed");
    expect((await rt.getRun(parked.runId))?.output).toEqual({ reviewed: true });
  });

  it("a rejected approval surfaces as APPROVAL_REJECTED, which the workflow can catch to take another path", async () => {
    const flow = defineWorkflow({
      name: "refund",
      input: z.object({}),
      output: z.string(),
      run: (_input, ctx) =>
        ctx.approval("refund", { request: { amount: 90 } }).then(
          () => "refunded",
          (error: { code: string; details: { by: string; note: string } }) => `${error.code} by ${error.details.by}: ${error.details.note}`,
        ),
    });
    const rt = await open({ workflows: [flow] });
    const parked = await (await rt.start(flow, {})).result();
    await decideApproval(rt.store, { runId: parked.runId, name: "refund", approved: false, by: "erin", note: "duplicate claim" });
    expect(await (await rt.resume(parked.runId)).result()).toMatchObject({ status: "completed", output: "APPROVAL_REJECTED by erin: duplicate claim" });
  });

  it("ctx.emit wakes a run waiting for the topic and starts each subscriber once, even when the emitting run replays", async () => {
    let receipts = 0;
    const waiter = defineWorkflow({ name: "waiter", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.waitFor("invoice.paid") });
    const receipt = defineWorkflow({ name: "receipt", input: z.any(), output: z.any(), run: async (input) => ({ receipt: input, count: ++receipts }) });
    const payer = defineWorkflow({
      name: "payer",
      input: z.object({}),
      output: z.string(),
      run: async (_input, ctx) => {
        await ctx.emit("invoice.paid", { invoice: 12 });
        await ctx.approval("close-books");
        return "closed";
      },
    });
    const rt = await open({ workflows: [waiter, receipt, payer] });
    rt.subscribe("invoice.paid", receipt);
    const parked = await (await rt.start(waiter, {})).result();
    expect(parked.status).toBe("waiting");

    const paying = await (await rt.start(payer, {})).result();
    expect(paying.status).toBe("waiting");
    expect(await settled(rt, parked.runId)).toBe("completed");
    expect((await rt.getRun(parked.runId))?.output).toEqual({ invoice: 12 });

    // The payer resumes and replays its emit: the event is delivered again, the subscriber does not start again.
    await decideApproval(rt.store, { runId: paying.runId, name: "close-books", approved: true, by: "fay" });
    expect(await (await rt.resume(paying.runId)).result()).toMatchObject({ status: "completed", output: "closed" });
    await sleep(50);
    const receiptRuns = await rt.listRuns({ workflow: "receipt" });
    expect(receiptRuns).toHaveLength(1);
    expect(receipts).toBe(1);
    expect(await rt.store.db.selectFrom("events").select("topic").execute()).toHaveLength(1);
  });

  it("an event published while the run is still executing, after its wait was journaled, is not lost", async () => {
    let rt!: Runtime;
    // Publishes while its own run is still busy in this step, after the other branch's wait was journaled.
    const announcer = defineAgent({
      name: "announcer",
      owner: "t",
      purpose: "t",
      input: z.any(),
      output: z.number(),
      run: async () => {
        await sleep(50);
        return (await rt.publish("go", { go: true })).length;
      },
    });
    const flow = defineWorkflow({
      name: "parking",
      input: z.object({}),
      output: z.any(),
      run: (_input, ctx) => ctx.parallel([(branch) => branch.waitFor("go"), (branch) => branch.call(announcer, {})] as const),
    });
    rt = await open({ agents: [announcer], workflows: [flow] });
    const first = await (await rt.start(flow, {})).result();
    expect(await settled(rt, first.runId, ["completed", "failed"])).toBe("completed");
    expect((await rt.getRun(first.runId))?.output).toEqual([{ go: true }, 1]);
  });

  it("an event published by another process while the run is parking is not lost, whichever of the two resumes it", async () => {
    const flow = defineWorkflow({ name: "parking", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.waitFor("go") });
    const rt = await open({ workflows: [flow] });
    // A second runtime on the same store stands for another process with the same workflows.
    const other = await Runtime.open({ store: location.location, workflows: [flow] });
    try {
      let published: Promise<unknown> | undefined;
      rt.on("run-end", (event) => {
        if (event.status === "waiting") published ??= other.publish("go", { from: "elsewhere" }).then((handles) => Promise.all(handles.map((handle) => handle.result())));
      });
      const result = await (await rt.start(flow, {})).result();
      await published;
      expect(await settled(rt, result.runId, ["completed", "failed"])).toBe("completed");
      expect((await rt.getRun(result.runId))?.output).toEqual({ from: "elsewhere" });
    } finally {
      await other.close();
    }
  });

  it("a workflow that catches the suspension still parks, and takes the path of the decision when resumed", async () => {
    let fallbacks = 0;
    const fallback = defineAgent({ name: "fallback", owner: "t", purpose: "t", input: z.any(), output: z.string(), run: () => (fallbacks += 1, "fell back") });
    const flow = defineWorkflow({
      name: "careless",
      input: z.object({}),
      output: z.string(),
      run: async (_input, ctx) => {
        try {
          return `approved by ${(await ctx.approval("go-ahead")).by}`;
        } catch {
          return ctx.call(fallback, {});
        }
      },
    });
    const rt = await open({ agents: [fallback], workflows: [flow] });
    const parked = await (await rt.start(flow, {})).result();
    expect(parked.status).toBe("waiting");
    expect(fallbacks).toBe(0);
    expect(await rt.getSteps(parked.runId)).toEqual([expect.objectContaining({ type: "approval", status: "waiting" })]);
    await decideApproval(rt.store, { runId: parked.runId, name: "go-ahead", approved: true, by: "hal" });
    expect(await (await rt.resume(parked.runId)).result()).toMatchObject({ status: "completed", output: "approved by hal" });
    expect(fallbacks).toBe(0);
  });

  it("successive waits on one topic receive successive events, never the same one twice", async () => {
    const consumer = defineWorkflow({
      name: "consumer",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        const seen: unknown[] = [];
        for (let index = 0; index < 3; index += 1) seen.push(await ctx.waitFor("tick"));
        return seen;
      },
    });
    const rt = await open({ workflows: [consumer] });
    const parked = await (await rt.start(consumer, {})).result();
    for (const n of [1, 2, 3]) {
      await Promise.all((await rt.publish("tick", { n })).map((handle) => handle.result()));
    }
    expect(await settled(rt, parked.runId)).toBe("completed");
    expect((await rt.getRun(parked.runId))?.output).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("a workflow declared with `subscribe` starts once per event; one that refuses the event's data does not stop the others", async () => {
    const ledger = defineWorkflow({ name: "ledger", subscribe: ["order.placed"], input: z.object({ id: z.number() }), output: z.any(), run: async ({ id }) => ({ booked: id }) });
    const strict = defineWorkflow({ name: "strict", subscribe: ["order.placed"], input: z.object({ id: z.string() }), output: z.any(), run: async (input) => input });
    const rt = await open({ workflows: [ledger, strict] });
    const results = await Promise.all((await rt.publish("order.placed", { id: 7 })).map((handle) => handle.result()));
    expect(results).toEqual([
      expect.objectContaining({ status: "completed", output: { booked: 7 } }),
      expect.objectContaining({ status: "failed", error: expect.objectContaining({ code: "INVALID_INPUT" }) }),
    ]);
    expect(await rt.listRuns({ workflow: "ledger" })).toHaveLength(1);
    expect(await rt.publish("invoice.sent", {})).toEqual([]);
  });

  it("an event published before the wait began does not satisfy it", async () => {
    const late = defineWorkflow({ name: "late", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.waitFor("ready") });
    const rt = await open({ workflows: [late] });
    await rt.publish("ready", { stale: true });
    expect((await (await rt.start(late, {})).result()).status).toBe("waiting");
  });

  it("a wait fails with STEP_TIMEOUT at its deadline (the runtime wakes the run), and the workflow can catch it", async () => {
    const flow = defineWorkflow({
      name: "deadline",
      input: z.object({}),
      output: z.string(),
      run: (_input, ctx) => ctx.waitFor("reply", { timeout: 150 }).then(() => "replied", (error: { code: string }) => `gave up: ${error.code}`),
    });
    const rt = await open({ workflows: [flow] });
    const parked = await (await rt.start(flow, {})).result();
    expect(parked.status).toBe("waiting");
    expect(await settled(rt, parked.runId, ["completed", "failed"])).toBe("completed");
    expect((await rt.getRun(parked.runId))?.output).toBe("gave up: STEP_TIMEOUT");
  });

  it("a deadline that passed while no process was running fails the wait when the run is resumed", async () => {
    const flow = defineWorkflow({ name: "approval-deadline", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.approval("sign-off", { timeout: 150 }) });
    const first = await open({ workflows: [flow] });
    const parked = await (await first.start(flow, {})).result();
    expect(parked.status).toBe("waiting");
    await first.close();
    await sleep(200);
    runtime = await Runtime.open({ store: location.location, workflows: [flow] });
    expect((await runtime.getRun(parked.runId))?.status).toBe("waiting");
    expect(await (await runtime.resume(parked.runId)).result()).toMatchObject({ status: "failed", error: { code: "STEP_TIMEOUT", details: { stepKey: "1:approval:sign-off" } } });
  });

  it("confidence gate via approval: a low-confidence output waits for a person before it flows downstream", async () => {
    let downstream = 0;
    const publish = defineAgent({ name: "publish", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (answer) => (downstream += 1, answer) });
    const flow = defineWorkflow({
      name: "gated",
      input: z.object({ confidence: z.number() }),
      output: z.any(),
      run: async ({ confidence }, ctx) => {
        const gated = await ctx.gate({ answer: "42", confidence }, { threshold: 0.8, approval: "check-answer" });
        return { gated, published: await ctx.call(publish, gated.output) };
      },
    });
    const rt = await open({ agents: [publish], workflows: [flow] });
    expect(await (await rt.start(flow, { confidence: 0.95 })).result()).toMatchObject({ status: "completed", output: { gated: { gated: false } } });
    expect(downstream).toBe(1);

    const parked = await (await rt.start(flow, { confidence: 0.4 })).result();
    expect(parked.status).toBe("waiting");
    expect(downstream).toBe(1);
    await decideApproval(rt.store, { runId: parked.runId, name: "check-answer", approved: true, by: "gil" });
    expect(await (await rt.resume(parked.runId)).result()).toMatchObject({ status: "completed", output: { gated: { gated: true, via: "approval" }, published: { answer: "42" } } });
    expect(downstream).toBe(2);
  });
});
