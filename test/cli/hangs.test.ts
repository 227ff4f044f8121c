import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/cli/open-server.config.ts");

// A command that did not exit would be killed by the helper's 60 s timeout: status null, not the
// code asserted. The test's own limit leaves room for that, so a hang fails on the assertion.
const hangLimit = 150_000;

describe("the CLI exits when its command is done, whatever the config left open", () => {
  it("cadre run parks on an approval and exits 3; cadre approve resumes it and exits 0, with a server the config opened still listening", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-hangs-")), "cadre.db");
    const run = (args: string[]) => cadre(["--store", store, "--config", config, ...args], { env: { CADRE_PRINCIPAL: "carol" } });

    const started = run(["run", "ticket-triage", "--input", '{"ticket":"T-1"}']);
    expect(started.status).toBe(3);
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];

    expect(run(["--json", "runs"]).status).toBe(0);

    const approved = run(["approve", runId, "send-reply"]);
    expect(approved.stderr).not.toContain("error");
    expect(approved.status).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual({ sent: true, approvedBy: "carol", models: ["triage"] });
  }, hangLimit);

  it("startScriptedOpenAIServer({ unref: true }) lets a script that never closes it exit, even after a keep-alive request", () => {
    const script = `
      import { startScriptedOpenAIServer } from "cadre/testing";
      const server = await startScriptedOpenAIServer({ script: [{ text: "hi" }], unref: true });
      const response = await fetch(server.baseURL + "/models");
      console.log(JSON.stringify(await response.json()));
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repositoryRoot, encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ data: [{ id: "scripted" }] });
  }, hangLimit);
});
