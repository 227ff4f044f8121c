import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, decideApproval, defineAgent, defineTool, defineWorkflow, listPendingApprovals, usd, type Agent, type Tool } from "../../src/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { lateEvening, noon, policyFolders } from "./fixtures.ts";

const tool = (name: string, settings: { price?: number; dataClass?: Tool["dataClass"]; region?: string } = {}) =>
  defineTool({ name, description: name, input: z.object({ i: z.number() }), output: z.object({ i: z.number() }), resource: ({ i }) => `item/${i}`, ...settings, run: (input) => input });

/** Calls each of its tools once; a Cadre refusal becomes its code, anything else (a parked run) passes through. */
const caller = (name: string, tools: Tool[], facts: Partial<Pick<Agent, "clearance" | "labels" | "region">> = {}) =>
  defineAgent({
    name,
    owner: "tests",
    purpose: "calls its tools",
    tools,
    grants: tools.map((each) => ({ scope: each.scope })),
    ...facts,
    input: z.object({}),
    output: z.array(z.string()),
    run: async (_input, context) => {
      const outcomes: string[] = [];
      for (const each of tools) {
        try {
          await context.tools.call(each, { i: 1 });
          outcomes.push("ok");
        } catch (error) {
          if (!CadreError.is(error)) throw error;
          outcomes.push(error.code);
        }
      }
      return outcomes;
    },
  });

const flowOf = (agent: Agent) => defineWorkflow({ name: "flow", input: z.object({}), output: z.any(), budget: { perRun: usd(5), allocation: usd(50) }, run: (input, ctx) => ctx.call(agent, input) });

describe.each(await dialects())("policies at the gateway on %s", (dialect) => {
  const open = runtimeFixture(dialect);
  const folder = policyFolders();

  it("data classes: an agent not cleared for financial data is refused the tool, a cleared one is let through, each record naming the policy", async () => {
    const ledger = tool("ledger", { dataClass: "financial" });
    const reader = caller("reader", [ledger]);
    const analyst = caller("analyst", [ledger], { clearance: ["financial"] });
    const both = defineWorkflow({ name: "both", input: z.object({}), output: z.any(), run: async (input, ctx) => [await ctx.call(reader, input), await ctx.call(analyst, input)] });
    const runtime = await open([reader, analyst], [both], { policies: { dir: folder() }, now: () => noon });
    const result = await (await runtime.start(both, {})).result();
    expect(result.output).toEqual([["POLICY_DENIED"], ["ok"]]);

    const records = await auditKinds(runtime.store, result.runId);
    const deny = records.find((record) => record.kind === "gateway.deny");
    expect(deny).toMatchObject({ agent: "reader", data: { code: "POLICY_DENIED", policy: { policies: ["data-class-clearance"] } } });
    expect(String(deny!.data.reason)).toContain("not cleared for the class of data");
    const allow = records.find((record) => record.kind === "gateway.allow");
    expect(allow).toMatchObject({ agent: "analyst", data: { policy: { policies: ["allow-granted"], version: runtime.policyVersion } } });
    // The denied call is journaled as a failed attempt and held nothing.
    const steps = await runtime.getSteps(result.runId);
    expect(steps.find((step) => step.agent === "reader" && step.type === "tool")).toMatchObject({ status: "failed", error: { code: "POLICY_DENIED", details: { policies: ["data-class-clearance"] } } });
    const holds = await runtime.store.db.selectFrom("holds").select("step_key").where("run_id", "=", result.runId).execute();
    expect(holds.map((hold) => hold.step_key)).not.toContain(steps.find((step) => step.agent === "reader" && step.type === "tool")!.key);
    expect((await ledgerTotals(runtime.store)).openHolds).toBe(0);
  });

  it("residency: an agent handling EU data may not use a tool outside the eu region", async () => {
    const usSearch = tool("us-search", { region: "us" });
    const euSearch = tool("eu-search", { region: "eu" });
    const agent = caller("eu-researcher", [usSearch, euSearch], { labels: ["eu-data"] });
    const runtime = await open([agent], [flowOf(agent)], { policies: { dir: folder() }, now: () => noon });
    const result = await (await runtime.start("flow", {})).result();
    expect(result.output).toEqual(["POLICY_DENIED", "ok"]);
    const deny = (await auditKinds(runtime.store, result.runId)).find((record) => record.kind === "gateway.deny");
    expect(deny).toMatchObject({ data: { scope: "tool:us-search", policy: { policies: ["eu-data-stays-in-eu"] } } });
  });

  it("residency of models: an agent handling EU data may not call a model whose provider is declared in another region", async () => {
    const writer = defineAgent({ name: "eu-writer", owner: "tests", purpose: "writes", labels: ["eu-data"], model: "scripted:model", instructions: "Write." });
    const write = defineWorkflow({ name: "write", input: z.object({}), output: z.string(), run: (_input, ctx) => ctx.call(writer, "write") });
    const open_ = (region: string) =>
      open([writer], [write], {
        policies: { dir: folder() },
        now: () => noon,
        models: { instances: { "scripted:model": createScriptedModel({ script: [{ text: "done" }] }) }, prices: { "scripted:model": { inputPerMillion: 0, outputPerMillion: 0 } }, providers: { scripted: { region } } },
      });
    const abroad = await open_("us");
    const refused = await (await abroad.start(write, {})).result();
    expect(refused).toMatchObject({ status: "failed", error: { code: "POLICY_DENIED", details: { action: "model", resource: "scripted:model", policies: ["eu-data-stays-in-eu"] } } });
    const home = await open_("eu");
    expect(await (await home.start(write, {})).result()).toMatchObject({ status: "completed", output: "done" });
  });

  it("time window: a paid call at 23:00 UTC is refused, the same call at noon goes through", async () => {
    const paid = tool("paid-lookup", { price: usd(0.1) });
    const agent = caller("buyer", [paid]);
    let now = lateEvening;
    const runtime = await open([agent], [flowOf(agent)], { policies: { dir: folder() }, now: () => now });
    const night = await (await runtime.start("flow", {})).result();
    expect(night.output).toEqual(["POLICY_DENIED"]);
    expect((await auditKinds(runtime.store, night.runId)).find((record) => record.kind === "gateway.deny")?.data.policy).toMatchObject({ policies: ["no-payments-at-night"] });
    now = noon;
    const day = await (await runtime.start("flow", {})).result();
    expect(day.output).toEqual(["ok"]);
    // Only the daytime call was charged.
    const spent = await runtime.store.db.selectFrom("ledger_entries").select("amount").where("kind", "=", "charge").execute();
    expect(spent.map((row) => Number(row.amount))).toEqual([usd(0.1)]);
  });

  it("amount → approval: a call above $1 parks the run on an approval naming the policy; approved, it runs and the record says who approved", async () => {
    const wire = tool("wire", { price: usd(2) });
    const agent = caller("treasurer", [wire]);
    const runtime = await open([agent], [flowOf(agent)], { policies: { dir: folder() }, now: () => noon });
    const parked = await (await runtime.start("flow", {})).result();
    expect(parked.status).toBe("waiting");
    const [pending] = await listPendingApprovals(runtime.store, { runId: parked.runId });
    expect(pending!.name).toMatch(/^policy:large-payments-need-approval@/);
    expect(pending!.request).toMatchObject({ policy: ["large-payments-need-approval"], action: "tool", agent: "treasurer", reason: "a call that may cost more than $1.00 needs a person's approval" });
    // Nothing was held or charged while it waits.
    expect(await ledgerTotals(runtime.store)).toMatchObject({ held: 0, openHolds: 0 });
    expect((await auditKinds(runtime.store, parked.runId)).find((record) => record.kind === "policy.approval-required")).toMatchObject({ agent: "treasurer", data: { policy: { policies: ["large-payments-need-approval"] } } });

    await decideApproval(runtime.store, { runId: parked.runId, name: pending!.name, approved: true, by: "cfo", now: noon });
    const done = await (await runtime.wake(parked.runId))!.result();
    expect(done).toMatchObject({ status: "completed", output: ["ok"] });
    const allow = (await auditKinds(runtime.store, parked.runId)).find((record) => record.kind === "gateway.allow");
    expect(allow).toMatchObject({ data: { reservedMicros: usd(2), policy: { policies: ["large-payments-need-approval"], approvedBy: "cfo" } } });
  });

  it("amount → approval rejected: the call is denied by the policy, nothing is charged", async () => {
    const wire = tool("wire", { price: usd(2) });
    const agent = caller("treasurer", [wire]);
    const runtime = await open([agent], [flowOf(agent)], { policies: { dir: folder() }, now: () => noon });
    const parked = await (await runtime.start("flow", {})).result();
    const [pending] = await listPendingApprovals(runtime.store, { runId: parked.runId });
    await decideApproval(runtime.store, { runId: parked.runId, name: pending!.name, approved: false, by: "cfo", note: "not this month", now: noon });
    const done = await (await runtime.wake(parked.runId))!.result();
    expect(done).toMatchObject({ status: "completed", output: ["POLICY_DENIED"] });
    const steps = await runtime.getSteps(parked.runId);
    const wireStep = steps.find((step) => step.type === "tool")!;
    expect(wireStep).toMatchObject({ status: "failed", error: { code: "POLICY_DENIED", details: { rejectedBy: "cfo" } } });
    expect(String(wireStep.error!.message)).toContain("not this month");
    expect(await runtime.store.db.selectFrom("ledger_entries").select("amount").where("kind", "=", "charge").execute()).toEqual([]);
  });

  it("agent calls and child workflows are decided too: a forbid on calling an agent refuses it before its funding", async () => {
    const quiet = caller("quiet", []);
    const child = defineWorkflow({ name: "child", input: z.object({}), output: z.any(), run: (input, ctx) => ctx.call(quiet, input) });
    const parent = defineWorkflow({
      name: "parent",
      input: z.object({}),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: async (input, ctx) => {
        const codes: string[] = [];
        for (const attempt of [() => ctx.call(quiet, input), () => ctx.call(child, input)]) {
          try {
            await attempt();
            codes.push("ok");
          } catch (error) {
            codes.push((error as CadreError).code);
          }
        }
        return codes;
      },
    });
    const policies = folder({
      "base.cedar": `@id("allow-granted") permit (principal, action, resource);`,
      "agents.cedar": `@id("quiet-only-in-children") @message("quiet is called from child workflows only")
forbid (principal == Cadre::Workflow::"parent", action == Cadre::Action::"agent", resource == Cadre::Agent::"quiet");`,
    });
    const runtime = await open([quiet], [parent, child], { policies: { dir: policies } });
    const result = await (await runtime.start(parent, {})).result();
    expect(result.output).toEqual(["POLICY_DENIED", "ok"]);
    const records = await auditKinds(runtime.store);
    expect(records.find((record) => record.kind === "gateway.deny")).toMatchObject({ agent: "quiet", data: { type: "agent", code: "POLICY_DENIED", policy: { policies: ["quiet-only-in-children"] } } });
    expect(records.find((record) => record.kind === "step.start" && record.data.type === "workflow")).toMatchObject({ data: { name: "child", policy: { policies: ["allow-granted"] } } });
  });
});
