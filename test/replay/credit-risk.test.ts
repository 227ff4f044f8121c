import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { BureauServer } from "../../examples/credit-risk/bureau-server.ts";
import type { decisionSchema } from "../../examples/credit-risk/agents.ts";
import { defineWorkflow, openOperator, type Runtime, type Store, type Workflow } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

// Read when the example's tools load: a busy machine must not time the bureau out (the decision would degrade).
process.env.CADRE_BUREAU_TIMEOUT_MS = "120000";
const { startBureauServer } = await import("../../examples/credit-risk/bureau-server.ts");
const { creditAgents, creditBureau, intake, sanctions, scoring, transactions } = await import("../../examples/credit-risk/agents.ts");
const { creditDecision: exampleWorkflow } = await import("../../examples/credit-risk/workflow.ts");

type Decided = z.infer<typeof decisionSchema> & { applicantId: string; bureau: "ok" | "unavailable" };
// The example is typed against the built package (it imports "cadre"); the test drives the sources.
const creditDecision = exampleWorkflow as unknown as Workflow<{ applicantId: string }, Decided, { applicantId: string }>;

/** The audit records of one run, in chain order. */
async function auditOf(store: Store, runId: string) {
  const records = [];
  for await (const record of openOperator({ store }).audit.export({ runId })) records.push(record);
  return records;
}

/** Rows in the tables a replay must not touch, and the audit log it adds exactly one record to. */
async function counts(store: Store): Promise<{ steps: number; ledger: number; audit: number; runs: number }> {
  const count = async (table: "steps" | "ledger_entries" | "audit_log" | "runs") => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { steps: await count("steps"), ledger: await count("ledger_entries"), audit: await count("audit_log"), runs: await count("runs") };
}

/** Today's code with a check added before the bureau fan-out: a step the journal never had. */
const withAddedStep = defineWorkflow({
  ...creditDecision,
  run: async ({ applicantId }, ctx) => {
    const applicant = await ctx.call(intake, { applicantId });
    await ctx.call(sanctions, { name: applicant.fullName });
    return creditDecision.run({ applicantId }, ctx);
  },
});

/** Today's code asking for 6 months of transactions where the run asked for 12. */
const withChangedInput = defineWorkflow({
  ...creditDecision,
  run: async ({ applicantId }, ctx) => {
    const applicant = await ctx.call(intake, { applicantId });
    const joined = await ctx.parallel(
      [(branch) => branch.call(creditBureau, { applicantId }), (branch) => branch.call(transactions, { applicantId, months: 6 }), (branch) => branch.call(sanctions, { name: applicant.fullName })],
      { minSuccess: 2 },
    );
    const [bureau, summary, screening] = joined.results;
    if (!summary.ok || !screening.ok) throw new Error("unexpected");
    const decision = await ctx.call(scoring, { applicant, report: bureau.ok ? bureau.value : null, transactions: summary.value, sanctions: screening.value });
    return { applicantId, ...decision, bureau: bureau.ok ? "ok" : "unavailable" };
  },
});

describe.each(await dialects())("replay and fork of a credit decision (%s)", (dialect) => {
  const open = runtimeFixture(dialect);
  let bureau: BureauServer;
  beforeEach(async () => {
    bureau = await startBureauServer({ latencyMs: [1, 5] });
    process.env.CADRE_BUREAU_URL = bureau.url;
  });
  afterEach(async () => {
    delete process.env.CADRE_BUREAU_URL;
    await bureau.close();
  });

  async function decided(runtime: Runtime, applicantId = "A-1001") {
    const result = await (await runtime.start(creditDecision, { applicantId })).result();
    expect(result.status).toBe("completed");
    return result as { runId: string; output: Decided };
  }

  it("replays a completed run with no bureau request and no ledger entry, only one audit record", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const run = await decided(runtime);
    const requests = bureau.stats().requests;
    expect(requests).toBe(1);
    const before = await counts(runtime.store);

    const report = await runtime.replay(run.runId);

    expect(report.verdict).toBe("consistent");
    expect(report.divergence).toBeUndefined();
    expect(report.outcome).toEqual({ status: "completed", output: run.output });
    expect(bureau.stats().requests).toBe(requests);
    const after = await counts(runtime.store);
    expect(after).toEqual({ ...before, audit: before.audit + 1 });
    // Every journaled step was asked for again; the agents' code ran again over their journaled tool calls.
    const journal = await runtime.getSteps(run.runId);
    expect(report.steps.map((step) => step.key).sort()).toEqual(journal.map((entry) => entry.key).sort());
    expect(report.steps.find((step) => step.key === "3:scoring")).toMatchObject({ reexecuted: true, depth: 0, output: journal.find((entry) => entry.key === "3:scoring")!.output });
    expect(report.steps.find((step) => step.key === "2.0/1.t/1:bureau-report")).toMatchObject({ type: "tool", reexecuted: false, depth: 2, input: { applicantId: "A-1001" } });
    const audit = await auditOf(runtime.store, run.runId);
    expect(audit.filter((record) => record.kind === "run.replay")).toEqual([expect.objectContaining({ data: expect.objectContaining({ verdict: "consistent", outcome: "completed" }) })]);
  });

  it("replays a partial run whose bureau branch failed: the journaled failure is thrown again, the decision degrades the same way", async () => {
    await bureau.close();
    bureau = await startBureauServer({ latencyMs: [1, 5], applicants: () => false });
    process.env.CADRE_BUREAU_URL = bureau.url;
    const runtime = await open(creditAgents, [creditDecision]);
    const partial = await (await runtime.start(creditDecision, { applicantId: "A-1001" })).result();
    expect(partial.status).toBe("partial");
    const requests = bureau.stats().requests;

    const report = await runtime.replay(partial.runId);

    expect(report).toMatchObject({ verdict: "consistent", runStatus: "partial", outcome: { status: "partial", output: partial.output } });
    expect(report.steps.find((step) => step.key === "2.0/1:credit-bureau")).toMatchObject({ status: "failed", error: { code: expect.any(String) } });
    expect(bureau.stats().requests).toBe(requests);
  });

  it("fails at a step added before an existing one, naming the step", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const run = await decided(runtime);
    const changed = await open(creditAgents, [withAddedStep]);
    const before = await counts(changed.store);

    const report = await changed.replay(run.runId);

    expect(report.verdict).toBe("diverged");
    expect(report.divergence).toMatchObject({ code: "REPLAY_DIVERGED", details: { kind: "step-added", stepKey: "2:sanctions" } });
    expect(report.divergence!.message).toContain(`the code now asks for agent "sanctions" (2:sanctions)`);
    expect(report.divergence!.message).toContain(`agent "credit-bureau" (2.0/1:credit-bureau) there`);
    // Replayed up to the divergence: the intake, as today's code sees it.
    expect(report.steps.map((step) => step.key)).toEqual(["1:intake", "1.t/1:application-record"]);
    expect(bureau.stats().requests).toBe(1);
    expect(await counts(changed.store)).toEqual({ ...before, audit: before.audit + 1 });
  });

  it("fails where an input changed, naming the step and the difference", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const run = await decided(runtime);
    const before = await counts(runtime.store);
    const agentRows = await runtime.store.db.selectFrom("agents").selectAll().orderBy("name").execute();
    // Changed code, opened as `cadre replay` opens it: no inventory entry or allocation is written for it.
    const changedScoring = { ...scoring, purpose: "a changed scoring agent" };
    const changed = await open([...creditAgents.filter((agent) => agent !== scoring), changedScoring], [withChangedInput], { provision: false });

    const report = await changed.replay(run.runId);
    expect(await counts(runtime.store)).toEqual({ ...before, audit: before.audit + 1 });
    expect(await runtime.store.db.selectFrom("agents").selectAll().orderBy("name").execute()).toEqual(agentRows);

    expect(report.divergence).toMatchObject({ details: { kind: "input-changed", stepKey: "2.1/1:transactions", difference: { path: "$.months", journaled: 12, now: 6 } } });
    expect(report.divergence!.message).toContain("step 2.1/1:transactions");
    expect(report.divergence!.message).toContain("at $.months: journaled 12, now 6");
  });

  it("fails when the journal has steps the code no longer asks for", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const run = await decided(runtime);
    const endsEarly = defineWorkflow({ ...creditDecision, run: async ({ applicantId }, ctx) => {
      await ctx.call(intake, { applicantId });
      return { applicantId, decision: "refer", score: 0, reasons: ["stopped early"], limitMicros: 0, bureau: "unavailable" };
    } });
    const changed = await open(creditAgents, [endsEarly]);

    const report = await changed.replay(run.runId);

    expect(report.divergence).toMatchObject({ details: { kind: "step-missing" } });
    expect(report.divergence!.details.stepKey).toMatch(/^2\.\d\/1:/);
    expect(report.divergence!.message).toContain("the code no longer asks for it");
  });

  it("forks from the scoring step with another bureau answer: a new decision, nothing charged again, the parent untouched", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const parent = await decided(runtime);
    const operator = openOperator({ store: runtime.store });
    const parentSteps = await runtime.getSteps(parent.runId);
    const parentCost = await operator.runs.cost(parent.runId);
    const parentAudit = await auditOf(runtime.store, parent.runId);
    const bureauAnswer = parentSteps.find((entry) => entry.key === "2.0/1:credit-bureau")!.output as Record<string, unknown>;
    const dreadful = { ...bureauAnswer, score: 420, delinquencies: 7, utilization: 0.98 };
    expect(parentCost.charges).toBeGreaterThan(0);

    const handle = await runtime.fork(parent.runId, { from: "3:scoring", overrides: { "2.0/1:credit-bureau": dreadful } });
    const fork = await handle.result();

    expect(fork.status).toBe("completed");
    expect((fork.output as { decision: string }).decision).not.toBe(parent.output.decision);
    expect(bureau.stats().requests).toBe(1);
    // Only the scoring step ran (it calls no priced tool): the copied steps were not charged again.
    expect(await operator.runs.cost(handle.runId)).toMatchObject({ charges: 0, spentMicros: 0 });
    const forkSteps = await runtime.getSteps(handle.runId);
    expect(forkSteps.map((entry) => entry.key).sort()).toEqual(parentSteps.map((entry) => entry.key).sort());
    expect(forkSteps.find((entry) => entry.key === "2.0/1:credit-bureau")!.output).toEqual(dreadful);
    const record = await runtime.getRun(handle.runId);
    expect(record!.forkedFrom).toEqual({ runId: parent.runId, stepKey: "3:scoring", overridden: ["2.0/1:credit-bureau"] });
    expect(await operator.runs.lineage(handle.runId)).toMatchObject({ ancestors: [{ runId: parent.runId, stepKey: "3:scoring" }] });
    expect((await operator.runs.lineage(parent.runId)).forks).toEqual([expect.objectContaining({ runId: handle.runId, stepKey: "3:scoring", status: "completed" })]);
    // The parent: same journal, same cost, same audit trail.
    expect(await runtime.getSteps(parent.runId)).toEqual(parentSteps);
    expect(await operator.runs.cost(parent.runId)).toEqual(parentCost);
    expect(await auditOf(runtime.store, parent.runId)).toEqual(parentAudit);
    // The fork replays cleanly against its own journal: the overridden answer is taken as it is, not recomputed.
    const replayed = await runtime.replay(handle.runId);
    expect(replayed.verdict).toBe("consistent");
    expect(replayed.steps.find((step) => step.key === "2.0/1:credit-bureau")).toMatchObject({ overridden: true, reexecuted: false, output: dreadful });
  });

  it("a fork from the bureau step calls the bureau again and pays for it; a fork of the fork works", async () => {
    const runtime = await open(creditAgents, [creditDecision], { now: () => 1_750_000_000_000 });
    const parent = await decided(runtime);
    const operator = openOperator({ store: runtime.store });

    // One clock instant for every step: journal order is key order, so the fan-out's branches all follow the bureau's.
    const fork = await (await runtime.fork(parent.runId, { from: "2.0/1:credit-bureau" })).result();
    expect(fork.status).toBe("completed");
    expect(bureau.stats().requests).toBe(2);
    // Charged again: everything from the bureau on. Not charged again: the intake, copied.
    const parentCharges = (await operator.runs.tree(parent.runId)).charges;
    const forkCharges = (await operator.runs.tree(fork.runId)).charges;
    const byStep = (charges: typeof parentCharges) => charges.map((charge) => `${charge.stepKey} ${charge.amountMicros}`).sort();
    expect(parentCharges.some((charge) => charge.stepKey?.startsWith("1."))).toBe(true);
    expect(byStep(forkCharges)).toEqual(byStep(parentCharges.filter((charge) => !charge.stepKey?.startsWith("1."))));

    const grandchild = await (await runtime.fork(fork.runId, { from: "3" })).result();
    expect(grandchild.status).toBe("completed");
    expect(grandchild.output).toEqual(fork.output);
    expect(bureau.stats().requests).toBe(2);
    expect(await operator.runs.lineage(grandchild.runId)).toMatchObject({ ancestors: [{ runId: fork.runId, stepKey: "3:scoring" }, { runId: parent.runId, stepKey: "2.0/1:credit-bureau" }] });
  });

  it("a revoked agent stays revoked in a fork", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const parent = await decided(runtime);
    await openOperator({ store: runtime.store, principal: "test" }).agents.revoke("scoring", { reason: "model risk review" });

    const fork = await (await runtime.fork(parent.runId, { from: "3:scoring" })).result();

    expect(fork.status).toBe("failed");
    expect(fork.error).toMatchObject({ code: "AGENT_REVOKED", details: { agent: "scoring" } });
  });

  it("refuses a fork point or an override that is not a step of the run, and an override the agent could not return", async () => {
    const runtime = await open(creditAgents, [creditDecision]);
    const parent = await decided(runtime);
    const before = await counts(runtime.store);

    await expect(runtime.fork(parent.runId, { from: "9:nothing" })).rejects.toMatchObject({ code: "UNKNOWN_STEP", details: { stepKey: "9:nothing" } });
    await expect(runtime.fork(parent.runId, { from: "2.0/1:credit-bureau", overrides: { "3:scoring": {} } })).rejects.toMatchObject({ code: "FORK_INVALID" });
    await expect(runtime.fork(parent.runId, { from: "3:scoring", overrides: { "2.0/1:credit-bureau": { score: "high" } } })).rejects.toMatchObject({ code: "FORK_INVALID", message: expect.stringContaining('agent "credit-bureau"') });
    await expect(runtime.fork("run_missing", { from: "3" })).rejects.toMatchObject({ code: "UNKNOWN_RUN" });
    expect(await counts(runtime.store)).toEqual(before);
  });
});
