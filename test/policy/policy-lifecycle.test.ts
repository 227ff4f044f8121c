import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, Runtime, decideApproval, defineAgent, defineTool, defineWorkflow, listPendingApprovals, usd } from "../../src/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { auditKinds } from "../governance/fixtures.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects, freshStoreLocation } from "../helpers/stores.ts";
import { examplePolicies, noon, policyFolders } from "./fixtures.ts";

const ledger = defineTool({ name: "ledger", description: "read the ledger", input: z.object({ i: z.number() }), output: z.object({ i: z.number() }), dataClass: "financial", run: (input) => input });
const reader = defineAgent({
  name: "reader",
  owner: "tests",
  purpose: "reads the ledger",
  tools: [ledger],
  grants: [{ scope: ledger.scope }],
  input: z.object({}),
  output: z.string(),
  run: async (_input, context) => {
    try {
      await context.tools.call(ledger, { i: 1 });
      return "ok";
    } catch (error) {
      return (error as CadreError).code;
    }
  },
});
const flow = defineWorkflow({ name: "flow", input: z.object({}), output: z.string(), run: (input, ctx) => ctx.call(reader, input) });

describe.each(await dialects())("the policy set's life on %s", (dialect) => {
  const open = runtimeFixture(dialect);
  const folder = policyFolders();

  it("a changed policy file takes effect when a runtime next opens (a running runtime keeps the set it opened with), and each change is audited", async () => {
    const dir = folder();
    const first = await open([reader], [flow], { policies: { dir }, now: () => noon });
    expect((await (await first.start(flow, {})).result()).output).toBe("POLICY_DENIED");

    // The organisation clears every agent for financial data by dropping the rule.
    writeFileSync(join(dir, "data-classes.cedar"), `@id("data-class-clearance-off") permit (principal, action, resource) when { false };\n`);
    expect((await (await first.start(flow, {})).result()).output).toBe("POLICY_DENIED");

    const second = await open([reader], [flow], { policies: { dir }, now: () => noon });
    expect(second.policyVersion).not.toBe(first.policyVersion);
    expect((await (await second.start(flow, {})).result()).output).toBe("ok");

    const changes = (await auditKinds(second.store)).filter((record) => record.kind.startsWith("policy."));
    expect(changes).toEqual([
      expect.objectContaining({ kind: "policy.activated", data: expect.objectContaining({ version: first.policyVersion, previous: null, policies: expect.arrayContaining(["data-class-clearance", "allow-granted"]) }) }),
      expect.objectContaining({ kind: "policy.activated", data: expect.objectContaining({ version: second.policyVersion, previous: first.policyVersion }) }),
    ]);
    // Opening again with the same files changes nothing; opening without policies is a change too.
    await open([reader], [flow], { policies: { dir }, now: () => noon });
    await open([reader], [flow], { now: () => noon });
    const after = (await auditKinds(second.store)).filter((record) => record.kind.startsWith("policy."));
    expect(after.map((record) => record.kind)).toEqual(["policy.activated", "policy.activated", "policy.deactivated"]);
    expect(after[2]!.data).toEqual({ version: null, previous: second.policyVersion });
  });

  it("an invalid policy file refuses to start with its file, line and problem, and records nothing", async () => {
    const dir = folder({ ...examplePolicies, "residency.cedar": `@id("typo")\nforbid (principal, action == Cadre::Action::"tool", resource)\nwhen { resource.regoin != "eu" };\n` });
    const location = await freshStoreLocation(dialect);
    try {
      const error = await Runtime.open({ store: location.location, agents: [reader], workflows: [flow], policies: { dir } }).then(
        () => undefined,
        (thrown: unknown) => thrown as CadreError,
      );
      expect(error).toMatchObject({ code: "POLICY_INVALID", fault: "configuration" });
      const [problem] = error!.details.problems as Array<{ file: string; line: number; message: string; help?: string }>;
      expect(problem).toMatchObject({ file: join(dir, "residency.cedar"), line: 3 });
      expect(problem!.message).toContain("regoin");
      expect(problem!.help).toContain("region");
      expect(error!.message).toContain(`${join(dir, "residency.cedar")}:3:`);
      // Nothing was opened or written: a runtime opened afterwards without policies finds no policy record at all.
      const runtime = await Runtime.open({ store: location.location, agents: [reader], workflows: [flow] });
      expect((await auditKinds(runtime.store)).filter((record) => record.kind.startsWith("policy."))).toEqual([]);
      expect(await runtime.store.db.selectFrom("policy_sets").selectAll().execute()).toEqual([]);
      await runtime.close();
    } finally {
      await location.cleanup();
    }
  });

  it("a model-backed agent sees a denied tool call as a refused call and answers without it", async () => {
    const model = createScriptedModel({
      script: [{ toolCalls: [{ name: "ledger", arguments: { i: 7 } }] }, { text: "I could not read the ledger." }],
    });
    const assistant = defineAgent({ name: "assistant", owner: "tests", purpose: "answers", model: "scripted:model", instructions: "Use the ledger.", tools: [ledger], grants: [{ scope: ledger.scope }], budget: { perCall: usd(0.1) } });
    const ask = defineWorkflow({ name: "ask", input: z.object({}), output: z.string(), budget: { perRun: usd(1), allocation: usd(5) }, run: (_input, ctx) => ctx.call(assistant, "what is in the ledger?") });
    const runtime = await open([assistant], [ask], {
      policies: { dir: folder() },
      now: () => noon,
      models: { instances: { "scripted:model": model }, prices: { "scripted:model": { inputPerMillion: 0, outputPerMillion: 0 } } },
    });
    const result = await (await runtime.start(ask, {})).result();
    expect(result).toMatchObject({ status: "completed", output: "I could not read the ledger." });
    const toolResult = JSON.stringify(model.calls[1]!.prompt);
    expect(toolResult).toContain("POLICY_DENIED");
    expect(toolResult).toContain("data-class-clearance");
    expect((await auditKinds(runtime.store, result.runId)).find((record) => record.kind === "gateway.deny")).toMatchObject({ agent: "assistant", data: { code: "POLICY_DENIED" } });
    // The model calls themselves were permitted by the base policy, and say so.
    expect((await auditKinds(runtime.store, result.runId)).filter((record) => record.kind === "gateway.allow").map((record) => record.data.subject)).toEqual(["model:scripted:model", "model:scripted:model"]);
  });
});

describe.each(await dialects())("a policy approval inside a model-backed agent on %s", (dialect) => {
  const open = runtimeFixture(dialect);
  const folder = policyFolders();

  it("parks the run instead of telling the model; approved, the resumed loop gets the tool's result and pays once", async () => {
    const wire = defineTool({ name: "wire", description: "send money", input: z.object({ amount: z.number() }), output: z.object({ sent: z.number() }), price: usd(2), run: ({ amount }) => ({ sent: amount }) });
    const model = createScriptedModel({ script: [{ toolCalls: [{ name: "wire", arguments: { amount: 5 } }] }, { text: "sent" }] });
    const payer = defineAgent({ name: "payer", owner: "tests", purpose: "pays", model: "scripted:model", instructions: "Pay.", tools: [wire], grants: [{ scope: wire.scope }], budget: { perCall: usd(3) } });
    const pay = defineWorkflow({ name: "pay", input: z.object({}), output: z.string(), budget: { perRun: usd(5), allocation: usd(20) }, run: (_input, ctx) => ctx.call(payer, "pay 5") });
    const runtime = await open([payer], [pay], {
      policies: { dir: folder() },
      now: () => noon,
      models: { instances: { "scripted:model": model }, prices: { "scripted:model": { inputPerMillion: 0, outputPerMillion: 0 } } },
    });
    const parked = await (await runtime.start(pay, {})).result();
    expect(parked.status).toBe("waiting");
    expect(model.calls).toHaveLength(1);
    const [pending] = await listPendingApprovals(runtime.store, { runId: parked.runId });
    await decideApproval(runtime.store, { runId: parked.runId, name: pending!.name, approved: true, by: "cfo", now: noon });
    const done = await (await runtime.wake(parked.runId))!.result();
    expect(done).toMatchObject({ status: "completed", output: "sent" });
    // The first model call was replayed from the journal, the second saw the tool's real result.
    expect(model.calls).toHaveLength(2);
    expect(JSON.stringify(model.calls[1]!.prompt)).toContain('"sent":5');
    const charges = await runtime.store.db.selectFrom("ledger_entries").select("amount").where("kind", "=", "charge").where("run_id", "=", parked.runId).execute();
    expect(charges.map((row) => Number(row.amount))).toEqual([usd(2)]);
  });
});
