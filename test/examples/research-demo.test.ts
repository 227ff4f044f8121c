import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineWorkflow } from "../../src/index.ts";
import { repositoryRoot } from "../helpers/cli.ts";

describe("research → write → deliver demo", () => {
  it("runs offline against the local scripted model, writes the report and prints costs per agent", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-research-"));
    const environment: NodeJS.ProcessEnv = { ...process.env, CADRE_REPORTS_DIR: join(directory, "reports") };
    delete environment.OPENAI_API_KEY;
    delete environment.ANTHROPIC_API_KEY;
    delete environment.CADRE_OPENAI_BASE_URL;
    const demo = spawnSync(process.execPath, ["examples/research/demo.ts", "--store", join(directory, "cadre.db")], { cwd: repositoryRoot, encoding: "utf8", env: environment, timeout: 60_000 });
    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    const reportPath = join(directory, "reports", "energy-transition-brief.md");
    expect(demo.stdout).toContain(`report written: ${reportPath}`);
    const report = readFileSync(reportPath, "utf8");
    for (const topic of ["grid-storage", "heat-pumps", "green-hydrogen"]) {
      expect(report).toContain(`## ${topic}`);
      // The findings come from the shipped knowledge collection, cited by source.
      expect(report).toContain(`Sources: knowledge/${topic}.md`);
      expect(demo.stdout).toContain(`researcher searched "${topic.replace("-", " ")}" → knowledge/${topic}.md (3 chunks)`);
    }
    expect(report).toContain("Cold-climate heat pumps keep a coefficient of performance above 2");
    expect(demo.stdout).toContain("knowledge: energy-notes · 3 files ingested, 0 unchanged, hybrid search (offline:hash-embedding)");
    expect(demo.stdout).toMatch(/researcher +9 +\d+ \/ \d+ +\$0\.\d+/);
    expect(demo.stdout).toMatch(/writer +1 /);
    const runId = /cadre show (run_[0-9a-z]+)/.exec(demo.stdout)![1]!;
    const spend = spawnSync(process.execPath, ["dist/cli/main.js", "--store", join(directory, "cadre.db"), "--json", "spend", "--run", runId, "--by", "model"], { cwd: repositoryRoot, encoding: "utf8" });
    const byModel = JSON.parse(spend.stdout);
    // The searches' query embeddings are metered like model calls.
    expect(byModel.map((row: { key: string }) => row.key).sort()).toEqual(["offline:hash-embedding", "openai:gpt-4.1", "openai:gpt-4o-mini"]);
    expect(byModel.find((row: { key: string }) => row.key === "offline:hash-embedding")).toMatchObject({ calls: 3, inputTokens: 6 });

    // A second run re-ingests nothing: the notes are unchanged.
    const again = spawnSync(process.execPath, ["examples/research/demo.ts", "--store", join(directory, "cadre.db")], { cwd: repositoryRoot, encoding: "utf8", env: environment, timeout: 60_000 });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("knowledge: energy-notes · 0 files ingested, 3 unchanged");
  });

  it("the delivery agent's fs:write grant confines it to the reports folder", async () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-confined-"));
    process.env.CADRE_REPORTS_DIR = join(directory, "reports");
    const { delivery } = await import("../../examples/research/agents.ts");
    const deliver = defineWorkflow({ name: "deliver", input: z.object({ fileName: z.string() }), output: z.any(), run: (input, ctx) => ctx.call(delivery, { ...input, report: "# hi" }) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [delivery], workflows: [deliver] });
    try {
      const inside = await (await runtime.start(deliver, { fileName: "ok.md" })).result();
      expect(inside.status).toBe("completed");
      expect(existsSync(join(directory, "reports", "ok.md"))).toBe(true);
      const outside = await (await runtime.start(deliver, { fileName: "../../escaped.md" })).result();
      expect(outside.error).toMatchObject({ code: "PERMISSION_DENIED", details: { scope: "fs:write" } });
      expect(existsSync(join(directory, "escaped.md"))).toBe(false);
    } finally {
      await runtime.close();
    }
  });
});
