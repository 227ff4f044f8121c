import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, usd } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { auditKinds, burstAgent, burstWorkflow, ledgerTotals, paidTool } from "./fixtures.ts";

describe.each(await dialects())("budgets and holds on %s", (dialect) => {
  // One store per test, shared by the runtimes a test opens.
  const open = runtimeFixture(dialect);

  const races = [
    { level: "run", agentBudget: undefined, perRun: usd(0.5) },
    { level: "call", agentBudget: { perCall: usd(0.5) }, perRun: usd(5) },
    { level: "agent-day", agentBudget: { perDay: usd(0.5) }, perRun: usd(5) },
    { level: "agent-month", agentBudget: { perMonth: usd(0.5) }, perRun: usd(5) },
  ] as const;
  it.each(races)("spend race on the $level budget: 100 concurrent one-cent calls against fifty cents, exactly 50 succeed", async ({ level, agentBudget, perRun }) => {
    const tool = paidTool();
    const agent = burstAgent(tool, { budget: agentBudget });
    const workflow = burstWorkflow(agent, { perRun });
    const rt = await open([agent], [workflow]);
    const result = await (await rt.start(workflow, { count: 100 })).result();
    expect(result.status).toBe("completed");
    const output = result.output as { ok: number; errors: string[] };
    expect(output.ok).toBe(50);
    expect(output.errors).toHaveLength(50);
    expect(new Set(output.errors)).toEqual(new Set(["BUDGET_EXCEEDED"]));
    expect((await openOperator({ store: rt.store }).runs.cost(result.runId)).spentMicros).toBe(usd(0.5));
    const totals = await ledgerTotals(rt.store);
    expect(totals.held).toBe(0);
    expect(totals.openHolds).toBe(0);
    expect(totals.conserved).toBe(totals.funded);
    const denials = (await auditKinds(rt.store, result.runId)).filter((record) => record.kind === "gateway.deny");
    expect(denials).toHaveLength(50);
    expect(new Set(denials.map((denial) => denial.data.level))).toEqual(new Set([level]));
  });

  it("a per-call sub-account and a daily cap each refuse, naming their level, and unspent funds flow back", async () => {
    const tool = paidTool();
    const capped = burstAgent(tool, { name: "capped", budget: { perCall: usd(0.05), perDay: usd(0.03) } });
    const workflow = burstWorkflow(capped, { perRun: usd(1) });
    const rt = await open([capped], [workflow]);
    const first = await (await rt.start(workflow, { count: 2 })).result();
    expect(first.output).toEqual({ ok: 2, errors: [] });
    const second = await (await rt.start(workflow, { count: 2 })).result();
    expect(second.output).toEqual({ ok: 1, errors: ["BUDGET_EXCEEDED"] });
    const deny = (await auditKinds(rt.store, second.runId)).find((record) => record.kind === "gateway.deny");
    expect(deny?.data).toMatchObject({ level: "agent-day" });
    // The run got $1, spent $0.01 on the second run: the rest is back in the workflow's account.
    const workflowAccount = (await openOperator({ store: rt.store }).budgets.accounts()).find((account) => account.id === "workflow:burst");
    expect(workflowAccount?.balanceMicros).toBe(usd(100) - usd(0.03));
    const perCallLimited = burstAgent(tool, { name: "narrow", budget: { perCall: usd(0.02) } });
    const narrowWorkflow = defineWorkflow({ name: "narrow-flow", input: z.object({}), output: z.any(), budget: { perRun: usd(1), allocation: usd(1) }, run: (_input, ctx) => ctx.call(perCallLimited, { count: 3 }) });
    const runtime = await open([perCallLimited], [narrowWorkflow]);
    const narrow = await (await runtime.start(narrowWorkflow, {})).result();
    expect(narrow.output).toEqual({ ok: 2, errors: ["BUDGET_EXCEEDED"] });
    const callDeny = (await auditKinds(runtime.store, narrow.runId)).find((record) => record.kind === "gateway.deny");
    expect(callDeny?.data).toMatchObject({ level: "call" });
    expect((await ledgerTotals(runtime.store)).held).toBe(0);
  });

  it("never leaks a hold: calls that succeed, throw, time out and are aborted all leave reserved = 0", async () => {
    const ok = paidTool({ name: "ok-tool" });
    const throws = paidTool({ name: "throwing-tool", behaviour: () => { throw new Error("upstream 500"); } });
    const slow = paidTool({ name: "slow-tool", timeout: 30, behaviour: () => new Promise((resolve) => setTimeout(resolve, 1000)) });
    const hanging = paidTool({ name: "hanging-tool", behaviour: () => new Promise((resolve) => setTimeout(resolve, 5000)) });
    const agent = defineAgent({
      name: "mixed",
      owner: "tests",
      purpose: "exercises every exit path",
      tools: [ok, throws, slow, hanging],
      grants: [{ scope: "tool:*" }],
      input: z.object({}),
      output: z.array(z.string()),
      run: async (_input, context) => {
        const outcomes = await Promise.allSettled([context.tools.call(ok, { i: 1 }), context.tools.call(throws, { i: 2 }), context.tools.call(slow, { i: 3 })]);
        return outcomes.map((outcome) => (outcome.status === "fulfilled" ? "ok" : (outcome.reason as { code: string }).code));
      },
    });
    const aborter = defineAgent({
      name: "aborter",
      owner: "tests",
      purpose: "is aborted by its own timeout mid tool call",
      tools: [hanging],
      grants: [{ scope: "tool:*" }],
      timeout: 50,
      input: z.object({}),
      output: z.any(),
      run: (_input, context) => context.tools.call(hanging, { i: 4 }),
    });
    const workflow = defineWorkflow({
      name: "exits",
      input: z.object({}),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: async (_input, ctx) => ctx.parallel([(branch) => branch.call(agent, {}), (branch) => branch.call(aborter, {})], { minSuccess: 1 }),
    });
    const rt = await open([agent, aborter], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    expect(result.status).toBe("partial");
    expect((result.output as { values: string[][] }).values[0]).toEqual(["ok", "STEP_FAILED", "STEP_TIMEOUT"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await rt.store.flush();
    const totals = await ledgerTotals(rt.store);
    expect(totals.held).toBe(0);
    expect(totals.openHolds).toBe(0);
    expect(totals.conserved).toBe(totals.funded);
    const spent = await rt.store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("kind", "=", "charge").executeTakeFirst();
    expect(Number(spent?.total)).toBe(usd(0.01));
  });

  it("refuses to start a run its workflow cannot fund, audits the refusal and creates no run", async () => {
    const workflow = defineWorkflow({ name: "greedy", input: z.object({}), output: z.any(), budget: { perRun: usd(5), allocation: usd(1) }, run: async () => 1 });
    const rt = await open([], [workflow]);
    const error = await rt.start(workflow, {}).catch((thrown) => thrown);
    expect(error).toMatchObject({ code: "BUDGET_EXCEEDED", details: { level: "workflow", askedMicros: usd(5), availableMicros: usd(1) } });
    expect(error.message).toContain("A retry will not help");
    expect(await rt.listRuns()).toHaveLength(0);
    expect((await auditKinds(rt.store)).map((record) => record.kind)).toContain("run.refused");
  });
});
