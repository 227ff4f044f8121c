import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/cli/office.config.ts");
/** Each test starts several CLI processes one after another. */
const processesTimeout = 120_000;

describe("cadre show, cadre spend and the cost of cadre run agree, as people read them", () => {
  it("shows fan-outs as parent rows with labelled branches, tool and model names, failures with their reason, and every step's cost", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-show-")), "cadre.db");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args]);

    const started = run(["run", "office"]);
    expect(started.status).toBe(0);
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];
    const spent = JSON.parse(run(["--json", "spend", "--run", runId]).stdout) as Array<{ spentMicros: number; calls: number }>;
    const totalMicros = spent.reduce((sum, row) => sum + row.spentMicros, 0);
    // Five $0.25 stamps (one in the child run) and one model call.
    expect(spent.reduce((sum, row) => sum + row.calls, 0)).toBe(6);
    expect(totalMicros).toBeGreaterThan(1_250_000);
    const total = `$${(totalMicros / 1_000_000).toString()}`;
    expect(started.stderr).toContain(`cost ${total} (6 charges; tokens 1,000 in / 100 out)`);

    const show = run(["show", runId]);
    expect(show.status).toBe(0);
    const lines = show.stdout.split("\n");
    const row = (pattern: RegExp) => lines.find((line) => pattern.test(line));
    expect(row(/^parallel \(3 branches\) +parallel +partial +- +\d+ ms +\$0\.50\b/)).toBeDefined();
    expect(row(/^ {2}\[0\] clerk +agent +completed +1 +\d+ ms +\$0\.25\b/)).toBeDefined();
    expect(row(/^ {4}tool stamp +tool +completed +1 +\d+ ms +\$0\.25\b/)).toBeDefined();
    expect(row(/^ {2}\[2\] jammed +agent +failed +1 +\d+ ms +- +STEP_FAILED: the stamp machine is jammed$/)).toBeDefined();
    expect(row(/^parallel \(2 branches\) +parallel +completed +- +\d+ ms +\$0\.50\b/)).toBeDefined();
    expect(row(/^ {2}\[1\] clerk +agent +completed/)).toBeDefined();
    expect(row(/^workflow filing +workflow +completed/)).toBeDefined();
    expect(row(/^ {2}run run_[0-9a-z]+ +run +completed +- +\d+ ms +\$0\.25\b/)).toBeDefined();
    expect(row(/^ {6}tool stamp +tool +completed/)).toBeDefined();
    expect(row(/^supervise \(1 child\) +supervise +completed +- +\d+ ms +-/)).toBeDefined();
    expect(row(/^ {2}\[0\] desk +step +failed +1 +\d+ ms +- +STEP_FAILED: the desk is busy$/)).toBeDefined();
    expect(row(/^ {2}\[0\] restart 1 desk +step +completed +1 /)).toBeDefined();
    expect(row(/^summarizer +agent +completed +1 +\d+ ms +\$0\.00\d+/)).toBeDefined();
    expect(row(/^ {2}model local:scripted +model +completed +1 +\d+ ms +\$0\.00\d+/)).toBeDefined();
    expect(row(/^archive +step +completed +1 +\d+ ms +-/)).toBeDefined();
    // Rows appear in the order the workflow asked for them.
    const order = ["parallel (3", "parallel (2", "workflow filing", "supervise", "summarizer", "archive"].map((label) => lines.findIndex((line) => line.startsWith(label)));
    expect(order).toEqual([...order].sort((left, right) => left - right));
    // No internal step keys (`1.0/1.t/1:stamp`) in the tree.
    expect(show.stdout).not.toMatch(/\d\.\d+\/|\.t\/|:stamp/);
    expect(show.stdout).toContain(`total ${total}: every charge (models and tools) of this run and its child runs`);

    // --json keeps the journal's keys for scripts.
    expect(JSON.parse(run(["--json", "show", runId]).stdout).steps.map((step: { key: string }) => step.key)).toContain("1.2/1:jammed");
  }, processesTimeout);

  it("cadre spend prints a total row and says what the view counts, so totals by model or tool are not mistaken for the run's", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-spend-")), "cadre.db");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args]);
    const runId = /run_[0-9a-z]+/.exec(run(["run", "office"]).stderr)![0];
    const all = JSON.parse(run(["--json", "spend", "--run", runId]).stdout) as Array<{ spentMicros: number }>;
    const total = `$${(all.reduce((sum, row) => sum + row.spentMicros, 0) / 1_000_000).toString()}`;

    const byAgent = run(["spend", "--run", runId]);
    expect(byAgent.stdout).toMatch(new RegExp(`^total +6 +1,000 / 100 +\\${total}$`, "m"));
    expect(byAgent.stdout).toContain(`counts every charge of run ${runId} and its child runs: model calls and tool calls`);

    const byTool = run(["spend", "--run", runId, "--by", "tool"]);
    expect(byTool.stdout).toMatch(/^stamp +5 +- +\$1\.25$/m);
    expect(byTool.stdout).toMatch(/^total +5 +- +\$1\.25$/m);
    expect(byTool.stdout).toContain(`counts tool calls only; every charge of run ${runId} and its child runs, model calls included, is ${total} (--by agent)`);

    const byModel = run(["spend", "--run", runId, "--by", "model"]);
    expect(byModel.stdout).toMatch(/^total +1 +1,000 \/ 100 +\$0\.00\d+$/m);
    expect(byModel.stdout).toContain(`counts model calls only; every charge of run ${runId} and its child runs, tool calls included, is ${total} (--by agent)`);
  }, processesTimeout);
});
