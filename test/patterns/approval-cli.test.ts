import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/approval/cadre.config.ts");

describe("human approval through the CLI, across processes", () => {
  it("a run waits (exit 3), survives the process exiting, and resumes after `cadre approve`; a rejection fails it", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-approval-"));
    const store = join(directory, "cadre.db");
    const log = join(directory, "payouts.log");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args], { env: { PAYOUT_LOG: log, CADRE_PRINCIPAL: "alice" } });

    const started = run(["run", "payout", "--input", '{"amount":1200}']);
    expect(started.status).toBe(3);
    expect(started.stderr).toContain("waiting");
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];
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
  });
});
