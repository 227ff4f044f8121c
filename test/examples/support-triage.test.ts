import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cadre } from "../helpers/cli.ts";

/** The README's `cadre eval` and `cadre cost` sections, on the support-triage example, with no keys. */
describe("support-triage example: cadre eval and cadre cost as the README shows them", () => {
  const directory = mkdtempSync(join(tmpdir(), "cadre-triage-"));
  const environment = { CADRE_STORE: join(directory, "cadre.db"), OPENAI_API_KEY: "", CADRE_OPENAI_BASE_URL: "" };
  const run = (args: string[]) => cadre(["--config", "examples/support-triage/cadre.config.ts", ...args], { env: environment });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("the keyword router scores 83.3% on the shipped tickets: the gate at 0.9 fails (exit 1), at 0.8 passes", () => {
    const failing = run(["eval", "ticket-router", "--dataset", "examples/support-triage/tickets.jsonl", "--field", "route", "--min-accuracy", "0.9", "--quiet"]);
    expect(failing.stderr).toBe("");
    expect(failing.status).toBe(1);
    expect(failing.stdout).toContain("accuracy 83.3% (10 of 12 correct)  macro F1 0.832");
    expect(failing.stdout).toMatch(/account\s+3\s+0\s+1\n/);
    expect(failing.stdout).toMatch(/tech\s+0\s+1\s+3\n/);
    expect(failing.stdout).toContain("models ticket-router → openai:gpt-4o-mini");
    expect(run(["eval", "ticket-router", "--dataset", "examples/support-triage/tickets.jsonl", "--field", "route", "--min-accuracy", "0.8", "--quiet"]).status).toBe(0);
  });

  it("the two-agent workflow against its single-agent baseline, with the writer moved to the fast model", () => {
    for (const workflow of ["triage", "triage-single"]) expect(run(["eval", workflow, "--dataset", "examples/support-triage/tickets.jsonl", "--field", "route", "--quiet"]).status).toBe(0);
    const cost = run(["cost", "--workflow", "triage", "--volume", "1000/day", "--what-if", "support-writer=openai:gpt-4o-mini", "--baseline", "triage-single"]);
    expect(cost.status).toBe(0);
    expect(cost.stdout).toContain("model tokens and cost of 12 finished runs, workflow triage");
    expect(cost.stdout).toMatch(/support-writer\s+openai:gpt-4\.1\s+12\s+12/);
    expect(cost.stdout).toMatch(/ticket-router\s+openai:gpt-4o-mini\s+12\s+12/);
    expect(cost.stdout).toMatch(/at 1,000 runs a day: [\d,]+ tokens and \$[\d.]+ a day/);
    expect(cost.stdout).toMatch(/saves \$[\d.]+, 8\d\.\d%/);
    expect(cost.stdout).toMatch(/against the baseline triage-single \(12 runs\): tokens per run ×1\.\d\d/);
  });
});
