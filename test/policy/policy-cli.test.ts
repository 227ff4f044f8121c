import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const fixtures = join(repositoryRoot, "test/fixtures/policy");
const config = join(fixtures, "cadre.config.ts");

describe("cadre policy", () => {
  const folders: string[] = [];
  const folder = () => {
    const created = mkdtempSync(join(tmpdir(), "cadre-policy-cli-"));
    folders.push(created);
    return created;
  };
  afterEach(() => folders.splice(0).forEach((created) => rmSync(created, { recursive: true, force: true })));

  it("validate: exit 0 listing the policies of a valid set, exit 1 naming file, line and problem of an invalid one", () => {
    const valid = cadre(["policy", "validate", "--config", config]);
    expect(valid.status).toBe(0);
    expect(valid.stdout).toContain("valid: 5 policies");
    expect(valid.stdout).toContain("large-payments-need-approval");

    const broken = folder();
    writeFileSync(join(broken, "base.cedar"), `@id("ok") permit (principal, action, resource);\n`);
    writeFileSync(join(broken, "bad.cedar"), `\n@id("bad")\nforbid (principal, action == Cadre::Action::"tool", resource)\nwhen { resource.dataKlass == "pii" };\n`);
    const invalid = cadre(["policy", "validate", "--dir", broken, "--json"]);
    expect(invalid.status).toBe(1);
    const report = JSON.parse(invalid.stdout) as { ok: boolean; problems: Array<{ file: string; line: number; message: string; help?: string }> };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ file: join(broken, "bad.cedar"), line: 4, help: expect.stringContaining("dataClass") })]);
    expect(report.problems[0]!.message).toContain("dataKlass");
  });

  it("test: exit 0 when every case decides as expected, exit 1 naming the case that does not", () => {
    const passing = cadre(["policy", "test", join(fixtures, "passing.jsonl"), "--config", config]);
    expect(passing.stdout).toContain("6 passed, 0 failed");
    expect(passing.status).toBe(0);

    const failing = cadre(["policy", "test", join(fixtures, "failing.jsonl"), "--config", config, "--json"]);
    expect(failing.status).toBe(1);
    const report = JSON.parse(failing.stdout) as { passed: number; failed: number; results: Array<{ line: number; passed: boolean; actual: { outcome: string; policies: string[] } }> };
    expect(report).toMatchObject({ passed: 1, failed: 1 });
    expect(report.results[1]).toMatchObject({ line: 2, passed: false, actual: { outcome: "deny", policies: ["data-class-clearance"] } });
  });

  it("the credit-risk example's cases pass against its policies (as the README shows them)", () => {
    const example = cadre(["policy", "test", "examples/credit-risk/policy-cases.jsonl", "--config", "examples/credit-risk/cadre.config.ts"]);
    expect(example.stdout).toContain("4 passed, 0 failed");
    expect(example.status).toBe(0);
  });

  it("test: a malformed case is a usage error (exit 2) naming its line", () => {
    const cases = join(folder(), "cases.jsonl");
    writeFileSync(cases, `{"action": "tool", "agent": "reader", "tool": "ledger", "expect": "allow"}\n{"action": "teleport", "expect": "deny"}\n`);
    const result = cadre(["policy", "test", cases, "--config", config]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${cases}:2`);
  });

  it("a call a policy holds for approval: cadre run exits 3 naming the approval, cadre approve runs it, explain shows both decisions", () => {
    const store = join(folder(), "cadre.db");
    const run = cadre(["run", "pay", "--config", config, "--store", store, "--input", "{}", "--json"]);
    expect(run.status).toBe(3);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    const pending = JSON.parse(cadre(["approvals", "--store", store, "--json"]).stdout) as Array<{ name: string; request: { policy: string[]; agent: string } }>;
    expect(pending).toEqual([expect.objectContaining({ name: "policy:large-payments-need-approval@1.t.1", request: expect.objectContaining({ policy: ["large-payments-need-approval"], agent: "treasurer" }) })]);

    const approve = cadre(["approve", runId, pending[0]!.name, "--config", config, "--store", store, "--json"], { env: { CADRE_PRINCIPAL: "cfo" } });
    expect(approve.status).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ status: "completed", output: { sent: 5 } });
    const explained = JSON.parse(cadre(["policy", "explain", runId, "1.t/1", "--store", store, "--json"]).stdout) as { decisions: Array<{ outcome: string; attempt: number; approvedBy: string | null }> };
    expect(explained.decisions.map((decision) => [decision.attempt, decision.outcome, decision.approvedBy])).toEqual([
      [1, "approval", null],
      [2, "allow", "cfo"],
    ]);
  });

  it("explain: names the policy that denied a past call, with its text as it was then", () => {
    const store = join(folder(), "cadre.db");
    const run = cadre(["run", "read", "--config", config, "--store", store, "--input", "{}", "--json"]);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    expect(runId).toMatch(/^run_/);
    const explained = cadre(["policy", "explain", runId, "1.t/1", "--store", store, "--json"]);
    expect(explained.status).toBe(0);
    const report = JSON.parse(explained.stdout) as { stepKey: string; decisions: Array<{ outcome: string; policies: Array<{ id: string; text: string; file: string }> }> };
    expect(report.stepKey).toBe("1.t/1:ledger");
    expect(report.decisions).toHaveLength(1);
    expect(report.decisions[0]).toMatchObject({ outcome: "deny", policies: [{ id: "data-class-clearance", file: join(fixtures, "policies/data-classes.cedar") }] });
    expect(report.decisions[0]!.policies[0]!.text).toContain("principal.clearance.contains");

    const text = cadre(["policy", "explain", runId, "1.t/1", "--store", store]);
    expect(text.stdout).toContain("denied by policy version");
    expect(text.stdout).toContain("data-class-clearance");
  });
});
