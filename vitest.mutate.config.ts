import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * The tests Stryker runs against each mutant of src/governance and src/engine (`npm run mutate`).
 * Left out: tests that drive the built CLI (a mutant in src/ never reaches dist/) or whose
 * assertions live in child processes (a mutant is switched on only in the test's own process).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/governance/**/*.test.ts", "test/engine/**/*.test.ts", "test/fault-tolerance/**/*.test.ts"],
    exclude: [
      "test/governance/cli.test.ts",
      "test/governance/audit-tampering.test.ts",
      "test/governance/audit-chain.test.ts",
      "test/governance/crash-holds.test.ts",
      "test/engine/crash-resume.test.ts",
      "test/engine/concurrent-open.test.ts",
      "test/engine/store-open.test.ts",
      "test/engine/fenced-takeover.test.ts",
    ],
  },
});
