import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../helpers/cli.ts";

/** The rule set in .dependency-cruiser.cjs: layers import downwards only, no import circles, provider SDKs only in models/. */
function cruise(cwd: string) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs"), "src", "--config", join(repositoryRoot, ".dependency-cruiser.cjs"), "--output-type", "err"], {
    cwd,
    encoding: "utf8",
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("architecture", () => {
  it("src/ imports only downwards through its layers, has no import circles, and calls the AI SDK only from models/", () => {
    const { status, output } = cruise(repositoryRoot);
    expect(output).toContain("no dependency violations found");
    expect(status).toBe(0);
  });

  it("the rule set catches an upward import and a circle (so a passing check means something)", () => {
    const { status, output } = cruise(join(repositoryRoot, "test/fixtures/architecture"));
    expect(status).not.toBe(0);
    expect(output).toContain("engine-imports-down");
    expect(output).toContain("no-circular");
  });
});
