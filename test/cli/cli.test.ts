import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { cadre } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/cli/cadre.config.ts");

describe("cadre CLI", () => {
  let store: string;
  beforeEach(() => {
    store = join(mkdtempSync(join(tmpdir(), "cadre-cli-")), "cadre.db");
  });
  const run = (args: string[], input?: string) => cadre(["--store", store, "--config", config, ...args], { input });

  it("runs a workflow, prints its output and the run id, and exits 0", () => {
    const result = run(["run", "greet", "--input", '{"names":["Ada","Linus"]}']);
    expect(result.stderr).toContain("completed");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(["Hello, Ada", "Hello, Linus"]);
    const runId = /run_[0-9a-z]+/.exec(result.stderr)?.[0];
    expect(runId).toBeDefined();
    // Plain progress lines (no TTY): one per finished step.
    expect(result.stderr).toMatch(/✓ +1\.0\/1:greeter/);

    expect(result.stderr).toContain("cost $0 (no charges)");

    const show = run(["show", runId!]);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^parallel \(2 branches\) +parallel +completed/m);
    expect(show.stdout).toMatch(/^ {2}\[1\] greeter +agent +completed +1 /m);
    const json = JSON.parse(run(["--json", "show", runId!]).stdout);
    expect(json.run).toMatchObject({ id: runId, status: "completed", workflow: "greet" });
    expect(json.steps).toHaveLength(2);

    const runs = JSON.parse(run(["--json", "runs"]).stdout);
    expect(runs).toEqual([expect.objectContaining({ id: runId, workflow: "greet", status: "completed" })]);
  });

  it("reads input from a file and from stdin", () => {
    const file = join(mkdtempSync(join(tmpdir(), "cadre-input-")), "input.json");
    writeFileSync(file, '{"names":["Grace"]}');
    expect(JSON.parse(run(["run", "greet", "--input", `@${file}`]).stdout)).toEqual(["Hello, Grace"]);
    expect(JSON.parse(run(["run", "greet", "--input", "-"], '{"names":["Barbara"]}').stdout)).toEqual(["Hello, Barbara"]);
  });

  it("exits 2 with a precise message on input that is not JSON, and creates no run", () => {
    const result = run(["run", "greet", "--input", "{names: Ada}"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("INVALID_INPUT");
    expect(result.stderr).toContain("not valid JSON");
    // The input is read before anything opens: not even the store was created.
    expect(existsSync(store)).toBe(false);
  });

  it("exits 2 on input that breaks the workflow schema, naming the field", () => {
    const result = run(["run", "greet", "--input", '{"names":[]}']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("INVALID_INPUT");
    expect(result.stderr).toContain("names");
    expect(JSON.parse(run(["--json", "runs"]).stdout)).toEqual([]);
  });

  it("exits 2 on an unknown workflow, listing the known ones", () => {
    const result = run(["run", "nope"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("UNKNOWN_WORKFLOW");
    expect(result.stderr).toContain("greet, lie");
  });

  it("exits 1 when the run fails on invalid agent output, and says why", () => {
    const result = run(["run", "lie"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("INVALID_OUTPUT");
    expect(result.stderr).toContain("score");
    const json = JSON.parse(run(["--json", "runs"]).stdout);
    expect(json[0]).toMatchObject({ workflow: "lie", status: "failed", error: { code: "INVALID_OUTPUT" } });
  });

  it("exits 2 on a store that is not a database, leaving it as it was", () => {
    writeFileSync(store, "not a database at all".repeat(20));
    const result = run(["runs"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("STORE_CORRUPT");
    expect(result.stderr).toContain(store);
  });

  it("exits 2 on an unknown run id, unknown commands and bad options", () => {
    expect(run(["show", "run_missing"]).status).toBe(2);
    expect(run(["frobnicate"]).status).toBe(2);
    const status = run(["runs", "--status", "done"]);
    expect(status.status).toBe(2);
    expect(status.stderr).toContain("--status must be one of");
    expect(run(["runs", "--limit", "lots"]).status).toBe(2);
    expect(run(["spend", "--by", "weather"]).status).toBe(2);
    expect(run(["budget", "fund", "-5"]).status).toBe(2);
  });

  it("lists every command in --help, and shows a command's own options with <command> --help or help <command>", () => {
    const help = cadre(["--help"]);
    expect(help.status).toBe(0);
    for (const command of ["run", "resume", "cancel", "runs", "show", "agents", "keys", "grants", "spend", "budget", "audit", "approvals", "approve", "reject", "emit", "serve"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    expect(cadre(["run", "--help"]).stdout).toContain("--input <json|@file|->");
    expect(cadre(["--store", store, "help", "spend"]).stdout).toContain("--by <grouping>");
    const mistyped = cadre(["shwo"]);
    expect(mistyped.status).toBe(2);
    expect(mistyped.stderr).toContain("(Did you mean show?)");
  });

  it("prints machine-readable errors with --json", () => {
    const result = run(["--json", "run", "nope"]);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: "UNKNOWN_WORKFLOW" } });
  });
});
