import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../helpers/cli.ts";

describe("npm run examples", () => {
  it("runs every pattern example offline, one line each, and exits 0", () => {
    const result = spawnSync(process.execPath, ["examples/run-all.ts"], { cwd: repositoryRoot, encoding: "utf8", timeout: 120_000 });
    expect(result.status).toBe(0);
    for (const pattern of ["approval", "blackboard", "confidence gate", "group chat", "handoff", "hierarchy", "pipeline", "plan", "pub/sub", "refine", "resolve", "route", "supervise"]) {
      expect(result.stdout).toMatch(new RegExp(`^${pattern.replace("/", "\\/")} +\\S`, "m"));
    }
    expect(result.stdout).toContain("13 of 13 examples ran");
    expect(result.stdout).not.toContain("FAILED");
    // The carved budgets are read back from the ledger, not echoed from the example's input.
    expect(result.stdout).toMatch(/^hierarchy +2 child runs \(carved from the parent's account: \$0\.10, \$0\.10\)/m);
    // Thirteen real processes: the bound only catches a hang on a busy machine.
  }, 180_000);
});
