import { existsSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/approval/cadre.config.ts");
// Each test starts a dozen CLI processes; on a busy machine that alone can pass the 30 s
// default. The bound is only there to catch a hang, so it is wide.
const processesTimeout = 180_000;

describe("human approval through the CLI, across processes", () => {
  it("a run waits (exit 3), survives the process exiting, and resumes after `cadre approve`; a rejection fails it", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-approval-"));
    const store = join(directory, "cadre.db");
    const log = join(directory, "payouts.log");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args], { env: { PAYOUT_LOG: log, CADRE_PRINCIPAL: "alice" } });

    const started = run(["run", "payout", "--input", '{"amount":1200}']);
    expect(started.status).toBe(3);
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];
    // The waiting line names the approval and the exact command that decides it (`cadre` is not on the PATH here).
    expect(started.stderr).toContain(`waiting for approval "payout"; decide with: npx cadre approve ${runId} payout --store ${store} --config ${config}`);
    expect(existsSync(log)).toBe(false);

    const pending = JSON.parse(run(["--json", "approvals"]).stdout);
    expect(pending).toEqual([expect.objectContaining({ runId, name: "payout", request: { amount: 1200, reason: "above the automatic limit" } })]);
    expect(run(["approvals"]).stdout).toMatch(/payout +\S+ \S+/);

    const approved = run(["approve", runId, "payout", "--note", "checked the invoice"]);
    expect(approved.stderr).toContain('approved "payout"');
    expect(approved.status).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual({ paid: 1200, approvedBy: "alice" });
    expect(readFileSync(log, "utf8")).toBe("1200\n");
    expect(JSON.parse(run(["--json", "approvals"]).stdout)).toEqual([]);

    const second = run(["run", "payout", "--input", '{"amount":99999}']);
    const secondId = /run_[0-9a-z]+/.exec(second.stderr)![0];
    const rejected = run(["reject", secondId, "payout", "--note", "no invoice"]);
    expect(rejected.status).toBe(1);
    expect(rejected.stderr).toContain("APPROVAL_REJECTED");
    expect(readFileSync(log, "utf8")).toBe("1200\n");

    const audit = run(["audit", "export"]).stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(audit.find((record) => record.kind === "approval.granted")).toMatchObject({ runId, principal: "alice", data: { note: "checked the invoice" } });
    expect(audit.find((record) => record.kind === "approval.rejected")).toMatchObject({ runId: secondId, data: { note: "no invoice" } });
    expect(run(["audit", "verify"]).status).toBe(0);
    expect(run(["approve", runId, "payout"]).status).toBe(2);
  }, processesTimeout);

  it("approving a child run's request resumes its parent through the real CLI", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-approval-"));
    const store = join(directory, "cadre.db");
    const log = join(directory, "payouts.log");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args], { env: { PAYOUT_LOG: log, CADRE_PRINCIPAL: "bob" } });

    const started = run(["run", "payout-batch", "--input", '{"amount":300}']);
    expect(started.status).toBe(3);
    const parentId = /run_[0-9a-z]+/.exec(started.stderr)![0];
    const [pending] = JSON.parse(run(["--json", "approvals"]).stdout) as Array<{ runId: string; workflow: string }>;
    expect(pending).toMatchObject({ workflow: "payout" });
    expect(pending!.runId).not.toBe(parentId);
    const shown = JSON.parse(run(["--json", "show", parentId]).stdout);
    expect(shown).toMatchObject({ run: { status: "waiting" }, steps: [{ type: "workflow", status: "waiting" }], children: [{ id: pending!.runId, status: "waiting" }] });

    expect(started.stderr).toContain(`waiting for approval "payout" (in child run ${pending!.runId}); decide with: npx cadre approve ${pending!.runId} payout`);

    const approved = run(["approve", pending!.runId, "payout"]);
    expect(approved.status).toBe(0);
    expect(approved.stderr).toContain(`resuming ${parentId}`);
    expect(JSON.parse(approved.stdout)).toEqual({ batch: { paid: 300, approvedBy: "bob" } });
    expect(readFileSync(log, "utf8")).toBe("300\n");
    expect(JSON.parse(run(["--json", "show", parentId]).stdout).run.status).toBe("completed");
  }, processesTimeout);

  it("approving without --config records the decision, exits 0 and says how the run continues; deciding again is APPROVAL_DECIDED (exit 2) saying who decided what, when, and what to do", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-approval-"));
    const store = join(directory, "cadre.db");
    const log = join(directory, "payouts.log");
    const env = { PAYOUT_LOG: log, CADRE_PRINCIPAL: "dana" };
    const withConfig = (args: string[]) => cadre(["--store", store, "--config", config, ...args], { env });
    const storeOnly = (args: string[]) => cadre(["--store", store, ...args], { env });

    const runId = /run_[0-9a-z]+/.exec(withConfig(["run", "payout", "--input", '{"amount":50}']).stderr)![0];
    const approved = storeOnly(["approve", runId, "payout", "--note", "fine"]);
    expect(approved.status).toBe(0);
    expect(approved.stderr).toContain(
      `approved "payout" for ${runId} as dana; the run will resume when a process that has workflow "payout" runs \`npx cadre resume ${runId} --store ${store}\` (or a worker/server picks it up)`,
    );
    expect(approved.stderr).not.toContain("UNKNOWN_WORKFLOW");
    expect(existsSync(log)).toBe(false);
    // Recorded: no longer pending, the run still waiting for a process that can continue it.
    expect(JSON.parse(storeOnly(["--json", "approvals"]).stdout)).toEqual([]);
    expect(JSON.parse(storeOnly(["--json", "show", runId]).stdout).run.status).toBe("waiting");

    for (const again of [withConfig(["approve", runId, "payout"]), withConfig(["reject", runId, "payout"]), storeOnly(["--json", "approve", runId, "payout"])]) {
      expect(again.status).toBe(2);
      expect(again.stderr).toContain("APPROVAL_DECIDED");
    }
    const repeated = withConfig(["approve", runId, "payout"]);
    expect(repeated.stderr).toMatch(new RegExp(`already approved by dana at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\("fine"\\); nothing was changed`));
    expect(repeated.stderr).toContain(`cadre resume ${runId}`);
    const error = JSON.parse(storeOnly(["--json", "approve", runId, "payout"]).stderr).error;
    expect(error).toMatchObject({ name: "ApprovalAlreadyDecidedError", code: "APPROVAL_DECIDED", details: { runId, name: "payout", approved: true, by: "dana", runStatus: "waiting", resumeRunId: runId, resumeWorkflow: "payout" } });

    const resumed = withConfig(["resume", runId]);
    expect(resumed.status).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ paid: 50, approvedBy: "dana" });
    expect(readFileSync(log, "utf8")).toBe("50\n");
    const afterwards = withConfig(["reject", runId, "payout"]);
    expect(afterwards.status).toBe(2);
    expect(afterwards.stderr).toContain(`The run is completed; see \`cadre show ${runId}\``);
  }, processesTimeout);

  it("the waiting line says `cadre` when the cadre on the PATH is this CLI", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-path-"));
    symlinkSync(join(repositoryRoot, "dist/cli/main.js"), join(directory, "cadre"));
    const started = cadre(["--store", join(directory, "cadre.db"), "--config", config, "run", "payout", "--input", '{"amount":1}'], { env: { PATH: `${directory}${delimiter}${process.env.PATH}` } });
    expect(started.status).toBe(3);
    expect(started.stderr).toMatch(/decide with: cadre approve run_[0-9a-z]+ payout /);
  }, processesTimeout);

  it("`cadre emit` resumes a run that waits for the topic, in another process, and starts the workflows subscribed to it", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-emit-"));
    const store = join(directory, "cadre.db");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args]);

    const started = run(["run", "await-payment", "--input", '{"order":7}']);
    expect(started.status).toBe(3);
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];
    const other = JSON.parse(run(["--json", "emit", "payment.other", "--data", '{"amount":1}']).stdout);
    expect(other).toEqual({ topic: "payment.other", runs: [] });

    const emitted = JSON.parse(run(["--json", "emit", "payment.received", "--data", '{"amount":42}']).stdout);
    expect(emitted.runs).toEqual([
      { runId, status: "completed", output: { order: 7, amount: 42 } },
      { runId: expect.stringMatching(/^run_/), status: "completed", output: "receipt for 42" },
    ]);
    // The waiting run is done; the subscriber starts again for the next event.
    const next = JSON.parse(run(["--json", "emit", "payment.received", "--data", '{"amount":43}']).stdout);
    expect(next.runs).toEqual([{ runId: expect.stringMatching(/^run_/), status: "completed", output: "receipt for 43" }]);
    expect(next.runs[0].runId).not.toBe(emitted.runs[1].runId);
    const receipts = JSON.parse(run(["--json", "runs", "--workflow", "payment-receipt"]).stdout);
    expect(receipts).toHaveLength(2);
  }, processesTimeout);
});
