import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, Runtime } from "../../src/index.ts";
import config, { pricePerCall } from "../fixtures/workers/cadre.config.ts";
import { auditKinds } from "../governance/fixtures.ts";
import { cadre } from "../helpers/cli.ts";
import { until } from "../helpers/crash.ts";
import { freshStoreLocation, postgresAvailable, type TestStoreLocation } from "../helpers/stores.ts";
import type { EffectServer } from "../helpers/effect-server.ts";
import { expectBooksBalance, expectOneKeyPerEffect } from "./expectations.ts";
import { cadreAsync, effectServer, freshQueueStore, killWorkers, startWorker, workersConfig, type WorkerProcess } from "./harness.ts";

const postgres = await postgresAvailable();

describe.skipIf(!postgres)("worker processes over PostgreSQL (pg-boss)", { timeout: 180_000 }, () => {
  let location: TestStoreLocation;
  let server: EffectServer<{ effect: string }>;
  let env: Record<string, string>;
  let runtime: Runtime | undefined;
  const workers: WorkerProcess[] = [];

  beforeAll(() => {
    // The CLI under test is the built one.
    expect(cadre(["--help"]).status).toBe(0);
  });

  async function setUp(): Promise<Runtime> {
    location = await freshQueueStore();
    server = effectServer();
    env = { CADRE_TEST_EFFECT_URL: await server.listen() };
    // The submitting process hands runs to workers and executes nothing itself.
    runtime = await Runtime.open({ ...config, store: location.location });
    return runtime;
  }

  async function worker(args: string[] = []): Promise<WorkerProcess> {
    const started = await startWorker(location.location, env, args);
    workers.push(started);
    return started;
  }

  afterEach(async () => {
    await killWorkers(workers);
    await runtime?.close();
    runtime = undefined;
    await server?.close();
    await location?.cleanup();
  });

  it("3 workers execute 60 runs (10 with a child run): all complete, each effect once, the ledger balances, the audit chain verifies", async () => {
    const submitter = await setUp();
    const started = await Promise.all([worker(["--concurrency", "4"]), worker(["--concurrency", "4"]), worker(["--concurrency", "4"])]);
    // Submitted six at a time: sixty transactions at once would wait on the store's pool of ten longer than its connect timeout on a loaded machine.
    const handles = [];
    for (let batch = 0; batch < 60; batch += 6) {
      handles.push(...(await Promise.all(Array.from({ length: 6 }, (_, j) => batch + j).map((i) => (i % 6 === 0 ? submitter.start("with-child", { tag: `p${i}`, count: 2 }) : submitter.start("priced-steps", { tag: `r${i}`, count: 2 }))))));
    }
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.map((result) => result.status)).toEqual(Array(60).fill("completed"));
    for (const [i, result] of results.entries()) expect(result.output).toBe(i % 6 === 0 ? 3 : 2);

    const effects = Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? [`p${i}#0`, `p${i}/child#0`, `p${i}/child#1`] : [`r${i}#0`, `r${i}#1`])).flat();
    expectOneKeyPerEffect(server, effects);
    // Every worker process did some of the work.
    const pids = new Set(server.requests.map((request) => request.pid));
    for (const process of started) expect(pids.has(process.child.pid!)).toBe(true);

    const store = await openStore(location.location);
    try {
      await expectBooksBalance(store, location.location, effects.length);
      const runs = await store.db.selectFrom("runs").select(["status", "parent_run_id"]).execute();
      expect(runs).toHaveLength(70);
      expect(runs.every((run) => run.status === "completed")).toBe(true);
    } finally {
      await store.close();
    }
    // cadre workers lists the three, with their labels and pids.
    const listed = JSON.parse(cadre(["--store", location.location, "--json", "workers"]).stdout) as Array<{ id: string; pid: number; runsHeld: number }>;
    expect(listed.map((entry) => entry.id).sort()).toEqual(started.map((process) => process.id).sort());
    expect(listed.map((entry) => entry.pid).sort()).toEqual(started.map((process) => process.child.pid).sort());
  });

  it("kill -9 of a worker mid-step: a survivor takes its runs over after the lease expires; each effect once, charged once", async () => {
    const submitter = await setUp();
    const victim = await worker(["--concurrency", "4"]);
    // The victim's calls are held in flight: it dies mid-step, its effects sent but not answered.
    server.hold = (request) => request.pid === victim.child.pid;
    const handles = await Promise.all(Array.from({ length: 8 }, (_, i) => submitter.start("priced-steps", { tag: `k${i}`, count: 3 })));
    await until(() => server.requests.filter((request) => request.pid === victim.child.pid).length >= 4, "the victim to be mid-step in four runs");
    const heldRuns = new Set(server.requests.filter((request) => request.pid === victim.child.pid).map((request) => request.effect.split("#")[0]));
    victim.child.kill("SIGKILL");
    await victim.exited;
    server.release();
    const survivors = [await worker(["--concurrency", "4"]), await worker(["--concurrency", "4"])];

    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.map((result) => [result.status, result.output])).toEqual(Array(8).fill(["completed", 3]));
    const effects = Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((step) => `k${i}#${step}`)).flat();
    expectOneKeyPerEffect(server, effects);
    // The runs the victim held were finished by the survivors, re-running the interrupted step under its key.
    const survivorPids = new Set(survivors.map((process) => process.child.pid));
    for (const run of heldRuns) expect(server.requests.some((request) => request.effect.startsWith(`${run}#`) && survivorPids.has(request.pid))).toBe(true);

    const store = await openStore(location.location);
    try {
      await expectBooksBalance(store, location.location, effects.length);
      for (const handle of handles.filter((_, i) => heldRuns.has(`k${i}`))) {
        const kinds = (await auditKinds(store, handle.runId)).map((record) => record.kind);
        expect(kinds).toContain("run.resume");
        expect(kinds.filter((kind) => kind === "run.end")).toHaveLength(1);
      }
    } finally {
      await store.close();
    }
  });

  it("fairness: a workflow's flood (concurrency: 1) holds one slot; a run of another workflow queued behind it completes meanwhile", async () => {
    const submitter = await setUp();
    // Every flood call is held: a flood run, once taken, occupies its slot until released.
    server.hold = (request) => request.effect.startsWith("f");
    const floods = [];
    for (let i = 0; i < 20; i += 1) floods.push(await submitter.start("flood", { tag: `f${i}` }));
    const lone = await submitter.start("lone", { tag: "lone" });
    await worker(["--concurrency", "3"]);

    expect(await lone.result()).toMatchObject({ status: "completed", output: 1 });
    // The per-workflow limit: however many slots the worker has, one flood run executed at a time.
    expect(new Set(server.requests.filter((request) => request.effect.startsWith("f")).map((request) => request.effect)).size).toBe(1);
    server.release();
    server.hold = () => false;
    const results = await Promise.all(floods.map((handle) => handle.result()));
    expect(results.every((result) => result.status === "completed")).toBe(true);
  });

  it("a circuit breaker one worker opens fails fast in another worker", async () => {
    const submitter = await setUp();
    server.failing = (request) => request.effect.startsWith("broken");
    const first = await worker();
    const broken = await (await submitter.start("fragile-calls", { tag: "broken", count: 3 })).result();
    // Two failures open the breaker; the third call fails fast without reaching the server.
    expect(broken.output).toEqual([expect.any(String), expect.any(String), "CIRCUIT_OPEN"]);
    expect(server.requests.filter((request) => request.effect.startsWith("broken"))).toHaveLength(2);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // A worker that never called the agent learns from the store that its breaker is open.
    await worker();
    const refused = await (await submitter.start("fragile-calls", { tag: "healthy", count: 1 })).result();
    expect(refused.output).toEqual(["CIRCUIT_OPEN"]);
    expect(server.requests.some((request) => request.effect.startsWith("healthy"))).toBe(false);
  });

  it("placement: a run placed at region=eu waits (shown in cadre runs) until a worker labelled region=eu takes it; the decision is audited", async () => {
    const submitter = await setUp();
    const placed = await submitter.start("eu-only", { tag: "eu" });
    const elsewhere = await worker(["--labels", "region=us"]);
    // The unmatched worker is alive and taking work: it executes an unplaced run, never the placed one.
    expect(await (await submitter.start("lone", { tag: "lone" })).result()).toMatchObject({ status: "completed" });
    expect(server.requests.some((request) => request.effect.startsWith("eu#"))).toBe(false);
    const listed = cadre(["--store", location.location, "runs", "--workflow", "eu-only"]);
    expect(listed.stdout).toContain("waits for a worker with region=eu");
    expect((JSON.parse(cadre(["--store", location.location, "--json", "runs", "--workflow", "eu-only"]).stdout) as Array<{ placement: unknown }>)[0]!.placement).toEqual({ region: "eu" });

    const eu = await worker(["--labels", "region=eu,tier=gpu"]);
    expect(await placed.result()).toMatchObject({ status: "completed", output: 1 });
    expect(server.requests.filter((request) => request.effect.startsWith("eu#")).map((request) => request.pid)).toEqual([eu.child.pid]);
    expect(elsewhere.child.pid).not.toBe(eu.child.pid);
    const store = await openStore(location.location);
    try {
      const decision = (await auditKinds(store, placed.runId)).find((record) => record.kind === "run.placed");
      expect(decision?.data).toMatchObject({ placement: { region: "eu" }, worker: eu.id, labels: { region: "eu", tier: "gpu" } });
    } finally {
      await store.close();
    }
  });

  it("cadre approve resumes a parked run on a worker; cadre emit starts a subscriber run on a worker", async () => {
    const submitter = await setUp();
    const executing = await worker();
    const parked = await (await submitter.start("needs-approval", { tag: "approved" })).result();
    expect(parked.status).toBe("waiting");
    const approved = await cadreAsync(["--store", location.location, "--config", workersConfig, "--json", "approve", parked.runId, "go-ahead"], { ...env, CADRE_PRINCIPAL: "reviewer" });
    expect(approved.status).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ runId: parked.runId, status: "completed", output: "approved by reviewer" });

    const emitted = await cadreAsync(["--store", location.location, "--config", workersConfig, "--json", "emit", "order.placed", "--data", JSON.stringify({ order: "42" })], env);
    expect(emitted.status).toBe(0);
    expect(JSON.parse(emitted.stdout)).toMatchObject({ topic: "order.placed", runs: [{ status: "completed", output: 1 }] });
    // Both effects were made by the worker, not by the CLI processes that asked for them.
    expect(server.requests.map((request) => [request.effect, request.pid])).toEqual([
      ["approved#0", executing.child.pid],
      ["order-42#0", executing.child.pid],
    ]);
  });

  it("SIGTERM drains: a worker stops taking work, hands back the runs it still holds at the deadline, and exits 0; another finishes them", async () => {
    const submitter = await setUp();
    const draining = await worker(["--concurrency", "2", "--drain-ms", "1000"]);
    server.hold = (request) => request.pid === draining.child.pid;
    const handles = await Promise.all(Array.from({ length: 2 }, (_, i) => submitter.start("priced-steps", { tag: `d${i}`, count: 2 })));
    await until(() => server.requests.filter((request) => request.pid === draining.child.pid).length === 2, "both runs to be mid-step on the draining worker");
    draining.child.kill("SIGTERM");
    expect(await draining.exited).toBe(0);
    expect(draining.stderr).toContain("stopped");
    server.release();
    await worker();

    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.map((result) => [result.status, result.output])).toEqual([["completed", 2], ["completed", 2]]);
    expectOneKeyPerEffect(server, ["d0#0", "d0#1", "d1#0", "d1#1"]);
    const store = await openStore(location.location);
    try {
      await expectBooksBalance(store, location.location, 4);
      for (const handle of handles) expect((await auditKinds(store, handle.runId)).map((record) => record.kind)).toContain("run.release");
    } finally {
      await store.close();
    }
  });

  it("an approval timeout wakes a parked run when no process that executed it is alive", async () => {
    const submitter = await setUp();
    const first = await worker();
    const handle = await submitter.start("approval-timeout", { timeoutMs: 1500 });
    const parked = await handle.result();
    expect(parked.status).toBe("waiting");
    first.child.kill("SIGKILL");
    await first.exited;
    await runtime!.close();
    runtime = undefined;
    // A new worker, which never saw the run, is woken by the scheduled ticket at the deadline.
    await worker();
    const store = await openStore(location.location);
    try {
      let run = { status: "waiting", output: null as string | null };
      while (run.status === "waiting" || run.status === "running") {
        await new Promise((resolve) => setTimeout(resolve, 50));
        run = await store.db.selectFrom("runs").select(["status", "output"]).where("id", "=", handle.runId).executeTakeFirstOrThrow();
      }
      expect(run).toEqual({ status: "completed", output: JSON.stringify("timed-out") });
      const kinds = (await auditKinds(store, handle.runId)).map((record) => record.kind);
      expect(kinds.filter((kind) => kind === "run.resume")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("cadre run --detach prints the run id at once; cadre run without it waits for the worker and prints the output", async () => {
    await setUp();
    const detached = cadre(["--store", location.location, "--config", workersConfig, "--json", "run", "priced-steps", "--detach", "--input", JSON.stringify({ tag: "cli-detached", count: 1 })], { env });
    expect(detached.status).toBe(0);
    const { runId } = JSON.parse(detached.stdout) as { runId: string };
    expect(runId).toMatch(/^run_/);
    const store = await openStore(location.location);
    try {
      expect((await store.db.selectFrom("runs").select("status").where("id", "=", runId).executeTakeFirstOrThrow()).status).toBe("pending");
    } finally {
      await store.close();
    }
    await worker();
    const waited = await cadreAsync(["--store", location.location, "--config", workersConfig, "--json", "run", "priced-steps", "--input", JSON.stringify({ tag: "cli-waited", count: 2 })], env);
    expect(waited.status).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: "completed", output: 2, cost: { spentMicros: 2 * pricePerCall, charges: 2 } });
    await until(() => server.requests.some((request) => request.effect === "cli-detached#0"), "the detached run to be executed");
    // Without --json the waiting CLI draws each step the worker finished, read from the store.
    const streamed = await cadreAsync(["--store", location.location, "--config", workersConfig, "run", "priced-steps", "--input", JSON.stringify({ tag: "cli-streamed", count: 2 })], env);
    expect(streamed.status).toBe(0);
    expect(streamed.stderr.match(/✓ .*\(agent\)/g)).toHaveLength(2);
    expect(streamed.stderr).toContain("completed");
  });
});

describe("dispatch option", () => {
  it("refuses a dispatch that is neither in-process nor queue", async () => {
    await expect(Runtime.open({ ...config, dispatch: "remote" as never, store: "unused.db" })).rejects.toMatchObject({ code: "CONFIGURATION", details: { field: "dispatch", value: "remote" } });
  });
});

describe("dispatch: queue on SQLite", () => {
  it("is refused with a CONFIGURATION error saying it needs PostgreSQL", async () => {
    const location = await freshStoreLocation("sqlite");
    try {
      await expect(Runtime.open({ ...config, store: location.location })).rejects.toMatchObject({ code: "CONFIGURATION", message: expect.stringContaining("needs a PostgreSQL store") });
      const detached = cadre(["--store", location.location, "--config", workersConfig, "run", "priced-steps", "--detach", "--input", JSON.stringify({ tag: "x", count: 1 })]);
      expect(detached.status).toBe(2);
      expect(detached.stderr).toContain("PostgreSQL");
    } finally {
      await location.cleanup();
    }
  });
});
