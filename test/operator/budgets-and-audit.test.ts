import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAuditKeyPair, loadAuditSigner, loadAuditVerifiers } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { auditRecords, batch, exported, operatorFixture, spend } from "./setup.ts";

describe.each(await dialects())("operator budgets, spend and audit on %s", (dialect) => {
  const open = operatorFixture(dialect);

  it("funds the treasury, a workflow or an unfinished run (audited), and lists the accounts it touched", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const balance = async (id: string) => (await operator.budgets.accounts()).find((account) => account.id === id)?.balanceMicros;
    const treasury = (await balance("treasury"))!;

    const deposit = await operator.budgets.fund({ amountMicros: 5_000_000 });
    expect(deposit).toMatchObject({ fundedMicros: 5_000_000, workflow: null, runId: null });
    expect(deposit.accounts.find((account) => account.id === "treasury")).toEqual({ id: "treasury", kind: "treasury", balanceMicros: treasury + 5_000_000, reservedMicros: 0, spentMicros: 0 });

    const workflow = (await balance("workflow:spend"))!;
    await operator.budgets.fund({ amountMicros: 2_000_000, workflow: "spend" });
    expect(await balance("workflow:spend")).toBe(workflow + 2_000_000);
    expect(await balance("treasury")).toBe(treasury + 5_000_000);

    const parked = (await (await runtime.start(batch, {})).result()).runId;
    const toRun = await operator.budgets.fund({ amountMicros: 250_000, runId: parked });
    expect(toRun.runId).toBe(parked);
    expect(toRun.accounts.find((account) => account.id === `run:${parked}`)?.balanceMicros).toBeGreaterThanOrEqual(250_000);
    expect((await runtime.getRun(parked))?.budget).toBe(2_000_000 + 250_000);

    expect((await auditRecords(operator, ["budget.funded"])).map((record) => [record.principal, record.data.amountMicros, record.workflow, record.runId])).toEqual([
      ["alice", 5_000_000, null, null],
      ["alice", 2_000_000, "spend", null],
      ["alice", 250_000, "batch", parked],
    ]);
  });

  it("refuses a deposit that is not a positive integer, that goes to two places, or to an unknown or finished run", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const finished = (await (await runtime.start(spend, { calls: 0 })).result()).runId;
    for (const amountMicros of [0, -1, 1.5, Number.NaN]) await expect(operator.budgets.fund({ amountMicros })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(operator.budgets.fund({ amountMicros: 1, workflow: "spend", runId: finished })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(operator.budgets.fund({ amountMicros: 1, runId: "run_nope" })).rejects.toMatchObject({ code: "UNKNOWN_RUN" });
    await expect(operator.budgets.fund({ amountMicros: 1, runId: finished })).rejects.toMatchObject({ code: "RUN_NOT_RESUMABLE" });
    expect(await auditRecords(operator, ["budget.funded"])).toEqual([]);
  });

  it("reports spend by agent, tool, model, run and day, of one run tree or one run alone", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const single = (await (await runtime.start(spend, { calls: 2 })).result()).runId;
    const parent = (await (await runtime.start(batch, {})).result()).runId;
    const [child] = (await operator.runs.list({ parentRunId: parent })).items;
    const row = (key: string, calls: number) => ({ key, calls, spentMicros: calls * 10_000, inputTokens: 0, outputTokens: 0 });

    expect(await operator.budgets.spend({ by: "agent" })).toEqual([row("clerk", 5)]);
    expect(await operator.budgets.spend({ by: "tool" })).toEqual([row("lookup", 5)]);
    expect(await operator.budgets.spend({ by: "model" })).toEqual([]);
    expect(await operator.budgets.spend({ by: "run" })).toEqual([row(child!.id, 2), row(single, 2), row(parent, 1)].sort((left, right) => right.spentMicros - left.spentMicros || left.key.localeCompare(right.key)));
    // By UTC day of each charge, oldest first (the runs may straddle midnight).
    const days = await operator.budgets.spend({ by: "day" });
    expect(days.every((day) => /^\d{4}-\d{2}-\d{2}$/.test(day.key))).toBe(true);
    expect(days.map((day) => day.key)).toEqual(days.map((day) => day.key).sort());
    expect(days.reduce((sum, day) => sum + day.calls, 0)).toBe(5);
    expect(await operator.budgets.spend({ by: "agent", runId: parent })).toEqual([row("clerk", 3)]);
    expect(await operator.budgets.spend({ by: "agent", runId: parent, includeChildRuns: false })).toEqual([row("clerk", 1)]);
    expect(await operator.budgets.spend({ by: "agent", agent: "auditor" })).toEqual([]);
    expect(() => operator.budgets.spend({ by: "week" as never })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });

  it("verifies the chain, exports it in order (all of it or one run's), and signs a checkpoint with the operator's clock", async () => {
    const fixture = await open();
    const { runtime, operator, clock } = fixture;
    const runId = (await (await runtime.start(spend, { calls: 1 })).result()).runId;
    await operator.budgets.fund({ amountMicros: 1 });

    const records = await exported(operator);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
    expect(records.slice(1).every((record, index) => record.prevHash === records[index]!.hash)).toBe(true);
    const ofRun = await exported(operator, { runId });
    expect(ofRun.length).toBeGreaterThan(0);
    expect(ofRun.every((record) => record.runId === runId)).toBe(true);
    expect(await operator.audit.verify()).toMatchObject({ ok: true, records: records.length, head: records.at(-1)!.hash });

    const keys = generateAuditKeyPair(mkdtempSync(join(tmpdir(), "cadre-operator-keys-")));
    const signed = await operator.audit.checkpoint(loadAuditSigner({ signingKey: keys.privateKeyPath })!);
    expect(signed).toMatchObject({ created: true, checkpoint: { seq: records.length, hash: records.at(-1)!.hash, at: clock.now, keyId: keys.keyId } });
    expect(await operator.audit.checkpoint({ signingKey: keys.privateKeyPath })).toMatchObject({ created: false });
    expect(await operator.audit.verify({ verifiers: loadAuditVerifiers({ publicKey: keys.publicKeyPath }) })).toMatchObject({ ok: true, checkpoints: 1, signaturesChecked: true });
  });

  it("a changed record fails verification, naming it", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    await operator.budgets.fund({ amountMicros: 1 });
    const [funded] = await auditRecords(operator, ["budget.funded"]);
    // Tampering goes around the operator on purpose: nothing it offers can rewrite the log.
    await runtime.store.db.updateTable("audit_log").set({ principal: "mallory" }).where("seq", "=", funded!.seq).execute();
    expect(await operator.audit.verify()).toMatchObject({ ok: false, brokenAt: funded!.seq });
  });
});
