import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openOperator, openStore } from "../../src/index.ts";
import { perRun, price } from "../fixtures/refund/cadre.config.ts";
import { cadre } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds, ledgerTotals } from "./fixtures.ts";

const config = join(import.meta.dirname, "../fixtures/refund/cadre.config.ts");

describe.each(await dialects())("finishing a failed run on %s", (dialect) => {
  let location: TestStoreLocation;
  let directory: string;
  afterEach(async () => {
    await location?.cleanup();
    rmSync(directory, { recursive: true, force: true });
  });

  async function setUp() {
    location = await freshStoreLocation(dialect);
    directory = mkdtempSync(join(tmpdir(), "cadre-refund-"));
    const faultFile = join(directory, "fault");
    const env = { CADRE_TEST_FAULT_FILE: faultFile };
    const cli = (...args: string[]) => cadre(["--store", location.location, "--config", config, ...args], { env });
    return { faultFile, cli };
  }

  async function inspect(runId: string) {
    const store = await openStore(location.location);
    try {
      const operator = openOperator({ store });
      const { run } = await operator.runs.get(runId);
      const { spentMicros } = await operator.runs.cost(runId);
      return { status: run.status, budget: run.budget, spent: spentMicros, totals: await ledgerTotals(store), records: await auditKinds(store, runId) };
    } finally {
      await store.close();
    }
  }

  it("a run that failed on a fault is re-funded and completed by cadre resume once the fault is fixed; spend never exceeds its budget", async () => {
    const { faultFile, cli } = await setUp();
    writeFileSync(faultFile, "down");
    const failed = cli("run", "four-calls", "--json");
    expect(failed.status).toBe(1);
    const runId = JSON.parse(failed.stdout).runId as string;
    expect((await inspect(runId)).spent).toBe(2 * price);

    // Fixed: the resume gets back what the budget still allows ($0.007 - $0.004), enough for call 3 but not call 4.
    rmSync(faultFile);
    const refused = cli("resume", runId, "--json");
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: "BUDGET_EXCEEDED" });
    let state = await inspect(runId);
    expect(state.spent).toBe(3 * price);
    expect(state.records.filter((record) => record.kind === "run.resume").map((record) => record.data.refundedMicros)).toEqual([perRun - 2 * price]);

    // Resuming again gives it back only what it returned at its end ($0.001): still not enough for call 4.
    expect(cli("resume", runId).status).toBe(1);
    state = await inspect(runId);
    expect(state.spent).toBe(3 * price);
    expect(state.records.filter((record) => record.kind === "run.resume").at(-1)!.data.refundedMicros).toBe(perRun - 3 * price);

    // An operator tops the run up; the next resume completes it within the raised budget.
    const funded = cli("budget", "fund", "--run", runId, "0.001");
    expect(funded.status).toBe(0);
    expect(funded.stdout).toContain(`to run ${runId}`);
    const completed = cli("resume", runId, "--json");
    expect(completed.status).toBe(0);
    expect(JSON.parse(completed.stdout)).toMatchObject({ status: "completed", output: 4 });
    state = await inspect(runId);
    expect(state).toMatchObject({ status: "completed", budget: perRun + price / 2, spent: 4 * price });
    expect(state.spent).toBeLessThanOrEqual(state.budget);
    expect(state.totals).toMatchObject({ held: 0, openHolds: 0 });
    expect(state.totals.conserved).toBe(state.totals.funded);
    expect(state.records.filter((record) => record.kind === "run.end")).toHaveLength(4);
    expect(cli("audit", "verify").status).toBe(0);
  });

  it("budget fund --run refuses a finished run and an unknown one, changing nothing", async () => {
    const { cli } = await setUp();
    const done = cli("run", "parent-paid", "--json");
    expect(done.status).toBe(0);
    const runId = JSON.parse(done.stdout).runId as string;
    const before = await inspect(runId);
    const finished = cli("budget", "fund", "--run", runId, "1");
    expect(finished.status).toBe(2);
    expect(finished.stderr).toContain("RUN_NOT_RESUMABLE");
    const unknown = cli("budget", "fund", "--run", "run_nope", "1");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("UNKNOWN_RUN");
    expect((await inspect(runId)).totals).toEqual(before.totals);
  });

  it("cadre spend --run counts the child workflows' charges, and says so; --no-children leaves them out", async () => {
    const { cli } = await setUp();
    const done = cli("run", "parent-paid", "--json");
    const runId = JSON.parse(done.stdout).runId as string;
    const tree = JSON.parse(cli("spend", "--run", runId, "--by", "run", "--json").stdout) as Array<{ key: string; spentMicros: number }>;
    expect(tree.reduce((sum, row) => sum + row.spentMicros, 0)).toBe(3 * price);
    expect(tree).toHaveLength(2);
    const own = JSON.parse(cli("spend", "--run", runId, "--by", "run", "--no-children", "--json").stdout) as Array<{ key: string; spentMicros: number }>;
    expect(own).toEqual([expect.objectContaining({ key: runId, spentMicros: price })]);
  });
});
