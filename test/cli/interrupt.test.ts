import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/interrupt/cadre.config.ts");

describe("Ctrl-C during cadre run", () => {
  it("stops the run cleanly with exit 130, releases its lease, and cadre resume finishes it without redoing finished steps", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-interrupt-")), "cadre.db");
    const child = spawn(process.execPath, ["dist/cli/main.js", "--store", store, "--config", config, "run", "slow-flow"], { cwd: repositoryRoot, env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    while (!/✓ +2:slow/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(status).toBe(130);
    expect(stderr).toContain(`continue it with: npx cadre resume ${/run_[0-9a-z]+/.exec(stderr)![0]} --store ${store} --config ${config}`);
    const runId = /run_[0-9a-z]+/.exec(stderr)![0];

    // No --force needed: the interrupted process gave up its lease.
    const resumed = cadre(["--store", store, "--config", config, "resume", runId]);
    expect(resumed.status).toBe(0);
    expect(JSON.parse(resumed.stdout)).toBe("done");
    expect(resumed.stderr).toMatch(/✓ +1:slow \(agent\) +journaled/);
    expect(resumed.stderr).toMatch(/✓ +2:slow \(agent\) +journaled/);
  });
});
