import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../helpers/cli.ts";

// Each test runs the demo and the CLI as real processes: the bound only catches a hang, so it is wide.
const processesTimeout = 180_000;

describe("credit-risk demo", () => {
  it("runs end to end on a fresh SQLite store, prints decisions, timings and run ids, and the runs are inspectable", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-demo-")), "demo.db");
    // However busy the machine, the bureau call must not time out here: that would (rightly) make A-1001 partial.
    const environment = { ...process.env, CADRE_BUREAU_TIMEOUT_MS: "120000" };
    const demo = spawnSync(process.execPath, ["examples/credit-risk/demo.ts", "--store", store], { cwd: repositoryRoot, encoding: "utf8", env: environment, timeout: 150_000 });
    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain("A-1001: APPROVE");
    expect(demo.stdout).toContain("A-1003: DECLINE");
    expect(demo.stdout).toMatch(/parallel stage +\d+ ms wall vs +\d+ ms sum of its 3 workers/);
    const runIds = [...demo.stdout.matchAll(/cadre show (run_[0-9a-z]+)/g)].map((match) => match[1]!);
    expect(runIds).toHaveLength(3);
    expect(demo.stdout).toMatch(/credit-bureau +\d+ ms +\$0\.50/);
    expect(demo.stdout).toMatch(/run total +\d+ ms +\$0\.5035/);
    expect(demo.stdout).toMatch(/audit log: \d+ records, hash chain intact/);
    // The bank's policies decided every call: the demo names the set and the policy that permitted each bureau call.
    expect(demo.stdout).toMatch(/policies: applicant-data-needs-clearance, allow-granted, expensive-bureau-reports-need-approval \(version [0-9a-f]{16}/);
    expect(demo.stdout.match(/policy: bureau-report call permitted by allow-granted/g)).toHaveLength(3);
    const verify = spawnSync(process.execPath, ["dist/cli/main.js", "--store", store, "audit", "verify"], { cwd: repositoryRoot, encoding: "utf8" });
    expect(verify.status).toBe(0);

    const show = spawnSync(process.execPath, ["dist/cli/main.js", "--store", store, "--json", "show", runIds[0]!], { cwd: repositoryRoot, encoding: "utf8" });
    const { run, steps: journal } = JSON.parse(show.stdout);
    const steps = journal.filter((step: { type: string }) => step.type === "agent");
    expect(run).toMatchObject({ status: "completed", workflow: "credit-decision", output: { decision: "approve" } });
    expect(steps.map((step: { agent: string }) => step.agent).sort()).toEqual(["credit-bureau", "intake", "sanctions", "scoring", "transactions"]);
    // The three workers overlapped in time: each started before any of the others ended.
    const workers = steps.filter((step: { key: string }) => step.key.startsWith("2."));
    const lastStart = Math.max(...workers.map((step: { startedAt: number }) => step.startedAt));
    const firstEnd = Math.min(...workers.map((step: { endedAt: number }) => step.endedAt));
    expect(lastStart).toBeLessThanOrEqual(firstEnd);
  }, processesTimeout);

  it("--bureau-down: each run decides without the bureau, ends partial, says which worker failed and why, and exits 0", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-down-")), "demo.db");
    const demo = spawnSync(process.execPath, ["examples/credit-risk/demo.ts", "--store", store, "--bureau-down", "--applicant", "A-1001"], { cwd: repositoryRoot, encoding: "utf8", timeout: 150_000 });
    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/A-1001: REFER +score \d+\/1000 +limit \$2,000/);
    expect(demo.stdout).toContain("run partial: decided without credit-bureau (STEP_FAILED: credit bureau answered HTTP 503)");
    expect(demo.stdout).not.toContain("undefined");
    const runId = /cadre show (run_[0-9a-z]+)/.exec(demo.stdout)![1]!;
    const show = JSON.parse(spawnSync(process.execPath, ["dist/cli/main.js", "--store", store, "--json", "show", runId], { cwd: repositoryRoot, encoding: "utf8" }).stdout);
    expect(show.run).toMatchObject({ status: "partial", output: { decision: "refer", bureau: "unavailable" } });
  }, processesTimeout);

  it("--chaos: the bureau's breaker opens, later calls fail fast, and every application is still decided", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-chaos-")), "demo.db");
    const demo = spawnSync(process.execPath, ["examples/credit-risk/demo.ts", "--store", store, "--chaos"], { cwd: repositoryRoot, encoding: "utf8", timeout: 150_000 });
    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    const lines = demo.stdout.split("\n").filter((line) => /^A-\d{4} /.test(line));
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(line).toMatch(/(APPROVE|REFER|DECLINE)/);
    expect(demo.stdout).toContain("circuit open: failed fast, bureau not called");
    expect(demo.stdout).toMatch(/run partial/);
    expect(demo.stdout).toContain("breaker now open");
    expect(demo.stdout).toContain("Every run still decided");
    const agents = JSON.parse(spawnSync(process.execPath, ["dist/cli/main.js", "--store", store, "--json", "agents"], { cwd: repositoryRoot, encoding: "utf8" }).stdout);
    expect(agents.find((agent: { name: string }) => agent.name === "credit-bureau")).toMatchObject({ breaker: "open" });
  }, processesTimeout);
});
