import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const check = join(repositoryRoot, "src/cli/check-node.cjs");
const install = "npm install -g --prefix /usr/local node@24";

/** Runs `command` as if Node.js were `version` (the check reads CADRE_CHECK_NODE_VERSION). */
function asNode(version: string, command: string, args: string[]) {
  return spawnSync(command, args, { cwd: repositoryRoot, encoding: "utf8", env: { ...process.env, CADRE_CHECK_NODE_VERSION: version }, timeout: 60_000 });
}

describe("the Node.js version check", () => {
  it("refuses a Node.js without type stripping by default, saying what to install (exit 2)", () => {
    for (const version of ["20.11.1", "v18.20.4", "22.17.1", "23.5.0"]) {
      const result = asNode(version, process.execPath, [check]);
      expect(result.status, version).toBe(2);
      expect(result.stderr).toContain(`this is Node.js ${version}`);
      expect(result.stderr).toContain(install);
    }
    for (const version of ["22.18.0", "23.6.0", "24.0.0", "25.1.0"]) expect(asNode(version, process.execPath, [check]).status, version).toBe(0);
  });

  it("runs first in the cadre bin, before anything that old Node cannot load", () => {
    const result = cadre(["--help"], { env: { CADRE_CHECK_NODE_VERSION: "20.11.1" } });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(install);
  });

  it("runs first in every npm script a user runs: nothing else runs on an old Node", () => {
    const scripts = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")).scripts as Record<string, string>;
    // Every user-facing script builds first, and building starts with the check.
    expect(scripts.prebuild).toBe("node src/cli/check-node.cjs");
    for (const script of ["demo", "demo:chaos", "demo:research", "examples", "bench"]) expect(scripts[script], script).toMatch(/^npm run -s build && /);
    expect(scripts.pretest).toBe("npm run -s build");
    const demo = asNode("20.11.1", "npm", ["run", "demo"]);
    expect(demo.status).toBe(2);
    expect(demo.stderr).toContain(install);
    expect(demo.stdout).not.toContain("Cadre credit-risk demo");
  });
});
