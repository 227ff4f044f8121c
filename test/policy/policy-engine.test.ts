import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CadreError, PolicyEngine, cadreSchema, type PolicyTarget } from "../../src/index.ts";
import { referencedAttributes } from "../../src/policy/referenced-attributes.ts";
import { lateEvening, noon, policyFolders } from "./fixtures.ts";

const target: PolicyTarget = {
  action: "tool",
  principal: { type: "Agent", agent: { name: "buyer", clearance: [] } },
  resource: { type: "Tool", name: "lookup", scope: "tool:lookup", resource: "item/1" },
};
const call = (now: number, amountMicros = 100_000) => ({ amountMicros, runId: "run_1", workflow: "flow", onBehalfOf: "me", goal: null, approved: false, stepKey: "1:lookup", now });

async function invalid(load: Promise<unknown>): Promise<Array<{ file: string; line: number; message: string }>> {
  const error = await load.then(() => undefined, (thrown: unknown) => thrown as CadreError);
  expect(error).toMatchObject({ code: "POLICY_INVALID" });
  return error!.details.problems as Array<{ file: string; line: number; message: string }>;
}

describe("the policy engine", () => {
  const folder = policyFolders();

  it("a policy's attribute names are what requests carry; a whole context read keeps everything", () => {
    const read = referencedAttributes({ conditions: [{ kind: "when", body: { "&&": { left: { ".": { left: { Var: "principal" }, attr: "clearance" } }, right: { ">": { left: { ".": { left: { ".": { left: { Var: "context" }, attr: "time" } }, attr: "hourUtc" } }, right: { Value: 5 } } } } } }] });
    expect(read).toEqual(new Set(["clearance", "time", "hourUtc"]));
    expect(referencedAttributes({ conditions: [{ kind: "when", body: { "==": { left: { Var: "context" }, right: { Record: {} } } } }] })).toBe("all");
  });

  it("decides again when what a policy reads changes: its decision cache never answers a changed request", async () => {
    const engine = await PolicyEngine.load({ dir: folder() });
    expect(engine.decide(target, call(lateEvening))).toMatchObject({ outcome: "deny", policies: ["no-payments-at-night"] });
    expect(engine.decide(target, call(noon))).toMatchObject({ outcome: "allow", policies: ["allow-granted"] });
    // Another minute, run and step: none of them is read by a policy, so the same decision.
    expect(engine.decide(target, { ...call(noon + 60_000), runId: "run_2", stepKey: "9:lookup" })).toMatchObject({ outcome: "allow" });
    expect(engine.decide(target, call(noon, 2_000_000))).toMatchObject({ outcome: "approval", policies: ["large-payments-need-approval"], reason: "a call that may cost more than $1.00 needs a person's approval" });
    expect(engine.decide(target, { ...call(noon, 2_000_000), approved: true })).toMatchObject({ outcome: "allow", policies: ["large-payments-need-approval"] });
  });

  it("refuses an @approval on a permit, a policy id used twice, and a schema that does not describe what Cadre sends", async () => {
    const base = `@id("base") permit (principal, action, resource);\n`;
    const approvalPermit = await invalid(PolicyEngine.load({ dir: folder({ "a.cedar": base, "b.cedar": `\n@id("odd") @approval("why") permit (principal, action, resource);\n` }) }));
    expect(approvalPermit).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining("@approval goes on a forbid") })]);

    const dir = folder({ "a.cedar": base, "b.cedar": base });
    const duplicate = await invalid(PolicyEngine.load({ dir }));
    expect(duplicate).toEqual([expect.objectContaining({ file: join(dir, "b.cedar"), line: 1, message: `policy id "base" is already used at ${join(dir, "a.cedar")}:1` })]);

    const schemaDir = folder({ "a.cedar": base });
    const schema = join(schemaDir, "cadre.cedarschema");
    writeFileSync(schema, cadreSchema.replace("clearance: Set<String>,", ""));
    const mismatch = await invalid(PolicyEngine.load({ dir: schemaDir, schema }));
    expect(mismatch).toEqual([expect.objectContaining({ file: schema, message: expect.stringContaining("does not describe what Cadre sends for a tool call") })]);
    // The same schema, complete, is accepted.
    writeFileSync(schema, cadreSchema);
    expect((await PolicyEngine.load({ dir: schemaDir, schema })).set.policies.size).toBe(1);
  });

  it("names a folder without policy files and a missing file", async () => {
    const empty = folder({});
    expect(await invalid(PolicyEngine.load({ dir: empty }))).toEqual([expect.objectContaining({ file: empty, message: expect.stringContaining("no .cedar files") })]);
    expect(await invalid(PolicyEngine.load({ files: [join(empty, "missing.cedar")] }))).toEqual([expect.objectContaining({ message: "cannot read the file: ENOENT" })]);
  });
});
