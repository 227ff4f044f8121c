import { afterEach, describe, expect, it } from "vitest";
import { openStore, Runtime, type RunResult } from "../../src/index.ts";
import config from "../fixtures/workers/cadre.config.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { freshStoreLocation, postgresAvailable, type TestStoreLocation } from "../helpers/stores.ts";
import type { EffectServer } from "../helpers/effect-server.ts";
import { expectBooksBalance, expectOneKeyPerEffect } from "./expectations.ts";
import { effectServer, freshQueueStore, killWorkers, startWorker, type WorkerProcess } from "./harness.ts";

const postgres = await postgresAvailable();
const branches = 200;
const doubled = Array.from({ length: branches }, (_, i) => i * 2);
const failing = Array.from({ length: 20 }, (_, i) => i * 10 + 3);

describe.skipIf(!postgres)("distributed fan-out over worker processes", { timeout: 600_000 }, () => {
  let location: TestStoreLocation | undefined;
  let server: EffectServer<{ effect: string }> | undefined;
  const runtimes: Runtime[] = [];
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killWorkers(workers);
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await server?.close();
    await location?.cleanup();
  }, 60_000);

  /** A queue runtime that submits (executes nothing), an in-process one on the same store, and three workers. */
  async function setUp(): Promise<{ queued: Runtime; local: Runtime }> {
    location = await freshQueueStore();
    server = effectServer();
    // Leases long enough that a loaded 2-core machine does not turn a slow renewal into a take-over (failover has its own test).
    const env = { CADRE_TEST_EFFECT_URL: await server.listen(), CADRE_TEST_LEASE_MS: "15000" };
    process.env.CADRE_TEST_EFFECT_URL = env.CADRE_TEST_EFFECT_URL;
    const queued = await Runtime.open({ ...config, leaseMs: 15_000, store: location.location });
    const local = await Runtime.open({ ...config, leaseMs: 15_000, dispatch: "in-process", store: location.location, provision: false });
    runtimes.push(queued, local);
    workers.push(...(await Promise.all([0, 1, 2].map(() => startWorker(location!.location, env, ["--concurrency", "6"])))));
    return { queued, local };
  }

  async function branchRuns(parentRunId: string): Promise<Array<{ workflow: string; status: string }>> {
    const store = await openStore(location!.location);
    try {
      return await store.db.selectFrom("runs").select(["workflow", "status"]).where("parent_run_id", "=", parentRunId).execute();
    } finally {
      await store.close();
    }
  }

  it("200 branches over 3 workers return what the in-process fan-out returns; each branch once, on every worker, charged once", async () => {
    const { queued, local } = await setUp();
    const [distributed, inProcess] = await Promise.all([
      queued.start("fan-out", { tag: "d", count: branches, distribute: true }).then((handle) => handle.result()),
      local.start("fan-out", { tag: "l", count: branches, distribute: true }).then((handle) => handle.result()),
    ]);
    expect(inProcess).toMatchObject({ status: "completed", output: { values: doubled, failed: [] } });
    expect(distributed).toMatchObject({ status: "completed", output: inProcess.output });

    const effects = ["d", "l"].flatMap((tag) => Array.from({ length: branches }, (_, i) => `${tag}#${i}`));
    expectOneKeyPerEffect(server!, effects);
    // The distributed branches ran on the worker processes, all three of them; the in-process ones here.
    const pidsOf = (tag: string) => new Set(server!.requests.filter((request) => request.effect.startsWith(`${tag}#`)).map((request) => request.pid));
    expect([...pidsOf("d")].sort()).toEqual(workers.map((started) => started.child.pid).sort());
    expect([...pidsOf("l")]).toEqual([process.pid]);

    // One child run per branch (the branch workflow of the agent), each journaled once in the parent.
    const children = await branchRuns(distributed.runId);
    expect(children).toHaveLength(branches);
    expect(children.every((child) => child.workflow === "branch-scorer" && child.status === "completed")).toBe(true);
    const steps = await queued.getSteps(distributed.runId);
    expect(steps.filter((step) => step.type === "workflow" && step.status === "completed")).toHaveLength(branches);

    const store = await openStore(location!.location);
    try {
      // Money was carved from the parent run for each branch and what a branch did not spend came back.
      await expectBooksBalance(store, location!.location, effects.length);
    } finally {
      await store.close();
    }
  });

  it("below minSuccess the distributed join fails as the in-process one does; above it both return the same partial results", async () => {
    const { queued, local } = await setUp();
    const run = (runtime: Runtime, tag: string, minSuccess: number): Promise<RunResult> => runtime.start("fan-out", { tag, count: branches, failing, minSuccess, distribute: true }).then((handle) => handle.result());
    // One pair at a time: four fan-outs of 200 at once would only measure how loaded the machine is.
    const [tooMany, tooManyHere] = await Promise.all([run(queued, "dx", 190), run(local, "lx", 190)]);
    const [enough, enoughHere] = await Promise.all([run(queued, "dy", 170), run(local, "ly", 170)]);

    expect(tooManyHere).toMatchObject({ status: "failed", error: { code: "PARALLEL_FAILED" } });
    expect(tooMany).toMatchObject({ status: "failed", error: { code: tooManyHere.error!.code, details: { total: branches, required: 190 } } });
    expect((tooMany.error!.details as { succeeded: number }).succeeded).toBeLessThan(190);

    const survivors = doubled.filter((_, i) => !failing.includes(i));
    expect(enoughHere).toMatchObject({ status: "partial", output: { values: survivors, failed: failing } });
    expect(enough).toMatchObject({ status: "partial", output: enoughHere.output });

    // The doomed join cancelled its branches still in flight: no branch run is left pending or running.
    const children = await branchRuns(tooMany.runId);
    expect(children.filter((child) => child.status === "pending" || child.status === "running")).toEqual([]);
    const store = await openStore(location!.location);
    try {
      const totals = await ledgerTotals(store);
      expect(totals).toMatchObject({ held: 0, openHolds: 0 });
      expect(totals.conserved).toBe(totals.funded);
      const cancelled = children.filter((child) => child.status === "cancelled").length;
      expect((await auditKinds(store)).filter((record) => record.kind === "run.cancelled")).toHaveLength(cancelled);
    } finally {
      await store.close();
    }
  });
});

describe("distribute: true without workers", { timeout: 120_000 }, () => {
  it("runs the branches in-process with the same result, and refuses closures with a CONFIGURATION error", async () => {
    const location = await freshStoreLocation("sqlite");
    const server = effectServer();
    process.env.CADRE_TEST_EFFECT_URL = await server.listen();
    const runtime = await Runtime.open({ ...config, dispatch: "in-process", store: location.location });
    try {
      const result = await (await runtime.start("fan-out", { tag: "s", count: 20, distribute: true })).result();
      expect(result).toMatchObject({ status: "completed", output: { values: doubled.slice(0, 20), failed: [] } });
      expect(await runtime.listRuns()).toHaveLength(1);

      const refused = await (await runtime.start("closure-fan-out", {})).result();
      expect(refused).toMatchObject({ status: "failed", error: { code: "CONFIGURATION", details: { field: "distribute" } } });
      expect(refused.error!.message).toContain("ctx.map(items, agent, { distribute: true })");
    } finally {
      await runtime.close();
      await server.close();
      await location.cleanup();
    }
  });
});
