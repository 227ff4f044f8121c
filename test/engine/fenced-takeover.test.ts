import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/index.ts";
import { pricePerCall } from "../fixtures/fenced/cadre.config.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { cadre, repositoryRoot } from "../helpers/cli.ts";
import { until } from "../helpers/crash.ts";
import { EffectServer } from "../helpers/effect-server.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const config = join(import.meta.dirname, "../fixtures/fenced/cadre.config.ts");
const cliPath = join(repositoryRoot, "dist/cli/main.js");

/** The outside world of the take-over tests: effects are numbered, answered with `{ i, key }`. */
function effectServer(): EffectServer<{ i: number }> {
  return new EffectServer({ read: (body) => ({ i: Number(body.i) }), effectOf: (request) => request.i, answer: (request) => ({ i: request.i, key: request.key }) });
}

interface Cli {
  child: ChildProcess;
  stderr: string;
  exited: Promise<number | null>;
}

function startCli(args: string[], env: Record<string, string>): Cli {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const cli: Cli = { child, stderr: "", exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
  child.stderr!.on("data", (chunk: Buffer) => (cli.stderr += chunk.toString()));
  child.stdout!.resume();
  return cli;
}

describe.each(await dialects())("fenced run ownership on %s", (dialect) => {
  let location: TestStoreLocation;
  let server: EffectServer<{ i: number }>;
  let env: Record<string, string>;
  const running: Cli[] = [];

  async function setUp(): Promise<void> {
    location = await freshStoreLocation(dialect);
    server = effectServer();
    env = { CADRE_TEST_EFFECT_URL: await server.listen() };
  }

  afterEach(async () => {
    for (const cli of running.splice(0)) cli.child.kill("SIGKILL");
    await server?.close();
    await location?.cleanup();
  });

  function run(input: { mode: "sequential" | "parallel"; count: number }): Cli {
    const cli = startCli(["--store", location.location, "--config", config, "run", "fenced-calls", "--quiet", "--input", JSON.stringify(input)], env);
    running.push(cli);
    return cli;
  }

  function forceResume(runId: string): Cli {
    const cli = startCli(["--store", location.location, "--config", config, "resume", runId, "--force", "--quiet"], env);
    running.push(cli);
    return cli;
  }

  async function runIdOf(cli: Cli): Promise<string> {
    await until(() => /run (run_\w+)/.test(cli.stderr), "the run id");
    return /run (run_\w+)/.exec(cli.stderr)![1]!;
  }

  /** What must hold after any take-over: done once, paid once, nothing held, one end, an intact chain. */
  async function expectKeptPromises(runId: string, count: number): Promise<void> {
    const keys = server.keysByEffect();
    expect([...keys.keys()].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const [i, seen] of keys) expect(seen.size, `effect ${i} was sent under ${seen.size} idempotency keys`).toBe(1);

    const store = await openStore(location.location);
    try {
      const run = await store.db.selectFrom("runs").select(["status", "output"]).where("id", "=", runId).executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: "completed", output: String(count) });
      const charged = await store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("run_id", "=", runId).where("kind", "=", "charge").executeTakeFirst();
      expect(Number(charged?.total)).toBe(count * pricePerCall);
      const totals = await ledgerTotals(store);
      expect(totals).toMatchObject({ held: 0, openHolds: 0 });
      expect(totals.conserved).toBe(totals.funded);
      const records = await auditKinds(store, runId);
      expect(records.filter((record) => record.kind === "run.end")).toHaveLength(1);
      const settled = records.filter((record) => record.kind === "gateway.settle");
      expect(settled.reduce((sum, record) => sum + Number(record.data.chargedMicros), 0)).toBe(count * pricePerCall);
    } finally {
      await store.close();
    }
    expect(cadre(["--store", location.location, "audit", "verify"]).status).toBe(0);
  }

  /** Of racing take-overs one wins (exit 0); each other one lost the run (exit 1, RUN_LEASE_LOST) or found it done (exit 0). */
  async function expectOneWinner(takeovers: Cli[]): Promise<void> {
    const codes = await Promise.all(takeovers.map((cli) => cli.exited));
    expect(codes).toContain(0);
    takeovers.forEach((cli, index) => {
      if (codes[index] !== 0) expectLost(codes[index]!, cli);
    });
  }

  /** A process that lost the run stops with RUN_LEASE_LOST and exit 1. */
  function expectLost(code: number | null, cli: Cli): void {
    expect(code).toBe(1);
    expect(cli.stderr).toContain("RUN_LEASE_LOST");
  }

  it("two forced resumes at once after kill -9: one run, each effect under one key, charged once", async () => {
    await setUp();
    server.hold = (request) => request.i === 10;
    const original = run({ mode: "sequential", count: 30 });
    const runId = await runIdOf(original);
    await until(() => server.requests.some((request) => request.i === 10), "the original to reach call 10");
    original.child.kill("SIGKILL");
    await original.exited;
    server.release();

    await expectOneWinner([forceResume(runId), forceResume(runId)]);
    await expectKeptPromises(runId, 30);
  });

  it("two forced resumes while the original is still running: the original stops at its next write", async () => {
    await setUp();
    const original = run({ mode: "sequential", count: 30 });
    const runId = await runIdOf(original);
    // The original is alive and mid-run, each call held until both take-overs have started.
    server.hold = (request) => request.i >= 5 && request.pid === original.child.pid;
    await until(() => server.requests.some((request) => request.i === 5), "the original to reach call 5");
    const [first, second] = [forceResume(runId), forceResume(runId)];
    await until(() => server.requests.some((request) => request.pid !== original.child.pid), "a take-over to make its first call");
    server.release();

    expectLost(await original.exited, original);
    await expectOneWinner([first, second]);
    await expectKeptPromises(runId, 30);
  });

  it("a forced take-over during ctx.parallel of priced calls: in-flight branches re-run under their keys, paid once", async () => {
    await setUp();
    const count = 10;
    const original = run({ mode: "parallel", count });
    server.hold = (request) => request.pid === original.child.pid && request.i >= 4;
    const runId = await runIdOf(original);
    await until(() => new Set(server.requests.map((request) => request.i)).size === count, "every branch's call to be in flight");
    const takeover = forceResume(runId);
    await until(() => server.requests.some((request) => request.pid === takeover.child.pid), "the take-over to re-run an in-flight call");
    // The original's held calls now answer: their results must not be written or charged by it.
    server.release();

    expectLost(await original.exited, original);
    expect(await takeover.exited).toBe(0);
    await expectKeptPromises(runId, count);
  });
});
