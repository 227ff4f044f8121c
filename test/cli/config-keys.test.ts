import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configKeys } from "../../src/workflow/config-shape.ts";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

describe("cadre.config.ts keys", () => {
  let directory: string;
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  function configWith(body: string): string {
    directory = mkdtempSync(join(tmpdir(), "cadre-config-"));
    const path = join(directory, "cadre.config.ts");
    writeFileSync(path, `export default ${body};\n`);
    return path;
  }

  it("refuses a misspelled key, naming it, the likely key and the known ones, exit 2, nothing created", () => {
    const config = configWith("{ workflows: [], blockOverdueReview: true }");
    const store = join(directory, "store.db");
    const result = cadre(["--config", config, "--store", store, "run", "anything"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown key "blockOverdueReview"');
    expect(result.stderr).toContain('did you mean "blockOverdueReviews"');
    for (const key of configKeys) expect(result.stderr).toContain(key);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("accepts every key the runtime options allow in a config", () => {
    const policies = JSON.stringify(join(repositoryRoot, "test/fixtures/policy/policies"));
    const config = configWith(`{ agents: [], workflows: [], principal: 'ops', leaseMs: 10000, blockOverdueReviews: false, maxPayloadBytes: 1000000, audit: {}, models: {}, policies: { dir: ${policies} } }`);
    const result = cadre(["--config", config, "--store", join(directory, "store.db"), "run", "anything"]);
    // The config loads; the run is refused only because no workflow of that name exists.
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("UNKNOWN_WORKFLOW");
  });
});
