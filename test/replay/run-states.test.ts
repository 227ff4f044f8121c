import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, openOperator, type Store } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

async function rows(store: Store): Promise<Record<string, number>> {
  const tables = ["steps", "ledger_entries", "audit_log", "runs", "events"] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return counts;
}

let sideEffects = 0;
const checker = defineAgent({ name: "checker", owner: "t", purpose: "check", input: z.object({ amount: z.number() }), output: z.object({ ok: z.boolean() }), run: async ({ amount }) => {
  if (amount < 0) throw new Error("negative amounts are refused");
  return { ok: amount < 1000 };
} });

const payout = defineWorkflow({
  name: "payout",
  input: z.object({ amount: z.number() }),
  output: z.object({ paid: z.boolean(), reference: z.string() }),
  run: async ({ amount }, ctx) => {
    const check = await ctx.call(checker, { amount });
    // Side-effecting code: a replay must not run it again.
    const reference = await ctx.step("book", () => `ref-${++sideEffects}`);
    await ctx.emit("payout.booked", { reference });
    if (!check.ok) await ctx.approval("large-payout", { request: { amount } });
    return { paid: true, reference };
  },
});

let transfers = 0;
const transfer = defineTool({ name: "transfer", description: "moves money", input: z.object({ amount: z.number() }), output: z.object({ done: z.boolean() }), needsApproval: true, run: () => ({ done: ++transfers > 0 }) });
const payer = defineAgent({ name: "payer", owner: "t", purpose: "pays", tools: [transfer], grants: [{ scope: "tool:transfer" }], input: z.object({ amount: z.number() }), output: z.object({ done: z.boolean() }), run: (input, context) => context.tools.call(transfer, input) as Promise<{ done: boolean }> });
const pay = defineWorkflow({ name: "pay", input: z.object({ amount: z.number() }), output: z.object({ done: z.boolean() }), run: (input, ctx) => ctx.call(payer, input) });

describe.each(await dialects())("replay of runs in every state (%s)", (dialect) => {
  const open = runtimeFixture(dialect);

  it("a tool call waiting for its approval replays to the approval, and after it without calling the tool", async () => {
    const runtime = await open([payer], [pay]);
    const waiting = await (await runtime.start(pay, { amount: 5 })).result();
    expect(waiting.status).toBe("waiting");
    const before = await rows(runtime.store);
    expect(await runtime.replay(waiting.runId)).toMatchObject({ verdict: "consistent", outcome: { status: "waiting" } });
    expect(await rows(runtime.store)).toEqual({ ...before, audit_log: before.audit_log! + 1 });

    await openOperator({ store: runtime.store }).approvals.approve(waiting.runId, "tool:transfer");
    const resumed = await (await runtime.resume(waiting.runId)).result();
    expect(resumed.error).toBeUndefined();
    expect(resumed.status).toBe("completed");
    const calls = transfers;
    const report = await runtime.replay(waiting.runId);
    expect(report).toMatchObject({ verdict: "consistent", outcome: { status: "completed", output: { done: true } } });
    expect(report.steps.map((step) => [step.key, step.type])).toEqual([["1:payer", "agent"], ["1.t/1:approval:tool:transfer", "approval"], ["1.t/2:transfer", "tool"]]);
    expect(transfers).toBe(calls);
  });

  it("a run waiting for an approval replays to where it waits; once approved and resumed, to its end", async () => {
    const runtime = await open([checker], [payout]);
    const waiting = await (await runtime.start(payout, { amount: 5000 })).result();
    expect(waiting.status).toBe("waiting");
    const effects = sideEffects;
    const before = await rows(runtime.store);

    const parked = await runtime.replay(waiting.runId);

    expect(parked).toMatchObject({ verdict: "consistent", runStatus: "waiting", outcome: { status: "waiting" } });
    expect(parked.steps.map((step) => [step.key, step.status])).toEqual([["1:checker", "completed"], ["2:book", "completed"], ["3:emit:payout.booked", "completed"], ["4:approval:large-payout", "waiting"]]);
    expect(sideEffects).toBe(effects);
    // Nothing written but the audit record of the replay: no step, no charge, no event delivered again.
    expect(await rows(runtime.store)).toEqual({ ...before, audit_log: before.audit_log! + 1 });

    await openOperator({ store: runtime.store }).approvals.approve(waiting.runId, "large-payout");
    const done = await (await runtime.resume(waiting.runId)).result();
    expect(done.status).toBe("completed");
    const replayed = await runtime.replay(waiting.runId);
    expect(replayed).toMatchObject({ verdict: "consistent", outcome: { status: "completed", output: done.output } });
    expect(sideEffects).toBe(effects);
  });

  it("a failed run replays to the same failure; code that now fails where the journal completed diverges", async () => {
    const runtime = await open([checker], [payout]);
    const failed = await (await runtime.start(payout, { amount: -1 })).result();
    expect(failed.status).toBe("failed");
    expect(await runtime.replay(failed.runId)).toMatchObject({ verdict: "consistent", outcome: { status: "failed", error: { code: failed.error!.code } } });

    const completed = await (await runtime.start(payout, { amount: 10 })).result();
    const stricter = defineAgent({ ...checker, run: async () => {
      throw new Error("the checker now refuses every amount");
    } });
    const changed = await open([stricter], [defineWorkflow({ ...payout, run: async (input, ctx) => {
      const check = await ctx.call(stricter, input);
      return { paid: check.ok, reference: "none" };
    } })]);
    const report = await changed.replay(completed.runId);
    expect(report.divergence).toMatchObject({ details: { kind: "now-fails", stepKey: "1:checker" } });
    expect(report.divergence!.message).toContain("the checker now refuses every amount");
  });

  it("an unknown run is refused with UNKNOWN_RUN and writes nothing", async () => {
    const runtime = await open([checker], [payout]);
    const before = await rows(runtime.store);
    await expect(runtime.replay("run_nope")).rejects.toMatchObject({ code: "UNKNOWN_RUN" });
    expect(await rows(runtime.store)).toEqual(before);
  });
});
