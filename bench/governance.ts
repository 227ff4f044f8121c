import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { z } from "zod";
import { EventBus } from "../src/engine/events.ts";
import { Journal } from "../src/engine/journal.ts";
import { runStep, type StepHooks } from "../src/engine/run-step.ts";
import { Gateway } from "../src/governance/gateway.ts";
import type { Transaction } from "kysely";
import type { Database } from "../src/store/schema.ts";
import { reserve, settle } from "../src/governance/holds.ts";
import { getAccount, runAccount } from "../src/governance/ledger.ts";
import { openRunAccount } from "../src/governance/run-accounts.ts";
import { Runtime, defineAgent, defineTool, defineWorkflow, openStore, usd, type Store } from "../src/index.ts";
import { toolGovernance } from "../src/workflow/effects/tool-call.ts";
import { createLogger } from "../src/workflow/logger.ts";
import type { Figure } from "./engine.ts";
import { postgresReachable, sample, spread, target, type Sample } from "./stats.ts";

const postgresUrl = process.env.CADRE_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

const meter = defineTool({ name: "meter", description: "a governed call costing one micro-dollar", input: z.object({ i: z.number() }), output: z.number(), price: 1, run: ({ i }) => i });
const caller = defineAgent({
  name: "caller",
  owner: "bench",
  purpose: "makes governed tool calls one after another",
  tools: [meter],
  grants: [{ scope: "tool:meter" }],
  input: z.object({ calls: z.number() }),
  output: z.number(),
  run: async ({ calls }, context) => {
    for (let i = 0; i < calls; i += 1) await context.tools.call(meter, { i });
    return calls;
  },
});
const governedCalls = defineWorkflow({
  name: "governed-calls",
  input: z.object({ callers: z.number(), calls: z.number() }),
  output: z.any(),
  budget: { perRun: usd(10), allocation: usd(1000) },
  run: ({ callers, calls }, ctx) => ctx.parallel(Array.from({ length: callers }, () => (branch) => branch.call(caller, { calls }))),
});

/** Milliseconds for one run of `callers` agents each making `calls` governed tool calls in sequence. */
async function endToEnd(runtime: Runtime, callers: number, calls: number): Promise<number> {
  const started = performance.now();
  const result = await (await runtime.start(governedCalls, { callers, calls })).result();
  if (result.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(result.error)}`);
  return performance.now() - started;
}

/**
 * What the gateway adds to a journaled tool step: the same sequential loop of `runStep`
 * calls with and without the gateway's hooks (authenticate, authorize, reserve, settle,
 * audit), both group-committed with the journal. Returns µs per call for each.
 */
async function gatewayOverhead(store: Store, calls: number): Promise<{ bareMicros: number; governedMicros: number }> {
  const runId = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await store.transaction((tx) => openRunAccount(tx, { runId, workflow: governedCalls.name, perRun: usd(10), now: Date.now() }));
  const gateway = new Gateway({ store, dialect: store.dialect, runId, workflow: governedCalls.name, principal: "bench", now: Date.now, logger: createLogger({}, { settings: { enabled: false, format: "json", level: "info" } }), blockOverdueReviews: false });
  const environment = { runId, journal: Journal.empty(store, runId), events: new EventBus(), signal: new AbortController().signal, now: Date.now };
  const loop = async (prefix: string, hooks: (stepKey: string, input: { i: number }) => StepHooks | undefined) => {
    const started = performance.now();
    for (let i = 0; i < calls; i += 1) {
      const key = `${prefix}${i}:meter`;
      const input = { i };
      await runStep(environment, { position: `${prefix}${i}`, key, name: "meter", type: "tool", agent: caller.name, input, hooks: hooks(key, input), execute: async () => i });
    }
    await environment.journal.flush();
    return ((performance.now() - started) / calls) * 1000;
  };
  const governed = (stepKey: string, input: { i: number }) => gateway.hooks(toolGovernance({ agent: caller, within: { stepKey: "1:caller", moneyAccount: runAccount(runId) }, tool: meter, input }), stepKey);
  // Warm up both paths, then alternate so neither one gets the other's WAL checkpoints.
  await loop("w.", () => undefined);
  await loop("x.", governed);
  let bareMicros = 0;
  let governedMicros = 0;
  for (let round = 0; round < 3; round += 1) {
    bareMicros += await loop(`b${round}.`, () => undefined);
    governedMicros += await loop(`g${round}.`, governed);
  }
  return { bareMicros: bareMicros / 3, governedMicros: governedMicros / 3 };
}

/**
 * Reserve + settle of one micro-dollar on one run account by `callers` concurrent callers: in
 * transactions of their own (as separate processes would), or through the store's write queue
 * (as a runtime's callers do: reservations waiting at the same moment share a commit). The
 * account holds exactly what the calls cost: it must end at zero, never below.
 */
async function reservationsPerSecond(store: Store, callers: number, perCaller: number, via: "transactions" | "write queue"): Promise<{ rate: number; balance: number; reserved: number }> {
  const runId = `race-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await store.transaction((tx) => openRunAccount(tx, { runId, workflow: governedCalls.name, perRun: callers * perCaller, now: Date.now() }));
  const levels = [{ account: runAccount(runId), level: "run" as const }];
  const commit = async <T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> => {
    if (via === "transactions") return store.transaction(work);
    let result: T | undefined;
    await store.write(async (tx) => void (result = await work(tx)));
    return result!;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < perCaller; i += 1) {
        const stepKey = `${caller}.${i}`;
        const reservation = await commit((tx) => reserve(tx, { levels, amount: 1, now: Date.now(), runId, stepKey, agent: "caller" }));
        await commit((tx) => settle(tx, { reservation, actual: 1, now: Date.now(), attribution: { runId, stepKey, agent: "caller", subject: "tool:meter" } }));
      }
    }),
  );
  const rate = Math.round((callers * perCaller) / ((performance.now() - started) / 1000));
  const account = await getAccount(store.db, runAccount(runId));
  return { rate, balance: account?.balance ?? Number.NaN, reserved: account?.reserved ?? Number.NaN };
}

const micros = (value: number) => `${value.toFixed(0)} µs`;

/**
 * The floor a durable call on this server cannot go under: one round trip (`select 1`) and one
 * committed one-row insert, µs each, on a connection of its own. A governed call makes one commit;
 * on a loaded machine the commit's fsync dominates, and this shows it.
 */
async function postgresFloor(url: string, schema: string): Promise<{ roundTrip: Sample; commit: Sample }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const table = `"${schema}".floor_probe`;
  try {
    const each = async (count: number, work: () => Promise<unknown>) => {
      const started = performance.now();
      for (let i = 0; i < count; i += 1) await work();
      return ((performance.now() - started) / count) * 1000;
    };
    const roundTrip = await sample(3, () => each(200, () => client.query("select 1")));
    await client.query(`create table ${table} (i integer)`);
    const commit = await sample(3, () => each(100, () => client.query(`insert into ${table} values (1)`)));
    return { roundTrip, commit };
  } finally {
    await client.query(`drop table if exists ${table}`);
    await client.end();
  }
}

/** Gateway figures: authorize + reserve + settle + audit per governed call, and reservation throughput. */
export async function benchGovernance(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-gov-"));
  const sqlite = await Runtime.open({ store: join(directory, "gov.db"), agents: [caller], workflows: [governedCalls] });
  try {
    const { bareMicros, governedMicros } = await gatewayOverhead(sqlite.store, 500);
    figures.push({ name: "gateway overhead per call, SQLite", value: `${micros(governedMicros - bareMicros)} (governed step ${micros(governedMicros)}, bare step ${micros(bareMicros)})` });
    const perCall = await sample(5, async () => ((await endToEnd(sqlite, 1, 500)) / 500) * 1000);
    figures.push({ name: "governed tool call end to end, SQLite", value: `${spread(perCall, "µs", 0)} per call (500 sequential, agent + zod + journal + gateway)  ${target(perCall, 250, "µs")}` });
  } finally {
    await sqlite.close();
    rmSync(directory, { recursive: true, force: true });
  }
  if (!(await postgresReachable())) {
    figures.push({ name: "PostgreSQL figures", value: `skipped: no server at ${postgresUrl}` });
    return figures;
  }
  const schema = `bench_${process.pid}`;
  const location = `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`;
  const postgres = await Runtime.open({ store: location, agents: [caller], workflows: [governedCalls] });
  try {
    const floor = await postgresFloor(postgresUrl, schema);
    figures.push({ name: "PostgreSQL floor (this server, now)", value: `round trip ${spread(floor.roundTrip, "µs", 0)}, one-row commit ${spread(floor.commit, "µs", 0)}` });
    const { bareMicros, governedMicros } = await gatewayOverhead(postgres.store, 200);
    figures.push({ name: "gateway overhead per call, PostgreSQL", value: `${micros(governedMicros - bareMicros)} (governed step ${micros(governedMicros)}, bare step ${micros(bareMicros)})` });
    const perCall = await sample(3, async () => ((await endToEnd(postgres, 1, 100)) / 100) * 1000);
    figures.push({ name: "governed tool call end to end, PostgreSQL", value: `${spread(perCall, "µs", 0)} per call (100 sequential)  ${target(perCall, 1000, "µs")}` });
    const concurrentMs = await endToEnd(postgres, 8, 100);
    figures.push({ name: "governed calls/s, 8 callers, PostgreSQL", value: `${Math.round(800 / (concurrentMs / 1000))} per second (8 agents × 100 calls, one runtime, group commit)` });
    const store = await openStore(location);
    try {
      const runs: Record<"transactions" | "write queue", Array<{ balance: number; reserved: number }>> = { transactions: [], "write queue": [] };
      const measure = (via: "transactions" | "write queue") => async () => {
        const run = await reservationsPerSecond(store, 8, 100, via);
        runs[via].push(run);
        return run.rate;
      };
      const ended = (via: "transactions" | "write queue") => (runs[via].some((run) => run.balance !== 0 || run.reserved !== 0) ? "NOT zero: OVERSPENT" : "exactly 0, never below");
      const rate = await sample(3, measure("transactions"));
      figures.push({ name: "reservations/s, 8 callers, PostgreSQL", value: `${spread(rate, "per second", 0)} (reserve + settle, 8 concurrent transactions on one account, as 8 processes would; account ended at ${ended("transactions")})` });
      // The bound of separate transactions: each holds the account row from its update to the end of its COMMIT.
      figures.push({ name: "  their floor: 2 locked commits each", value: `at most ~${Math.round(1e6 / (2 * floor.commit.median + floor.roundTrip.median))} per second (2 × one-row commit + the settle's answer)` });
      const queuedRate = await sample(3, measure("write queue"));
      figures.push({ name: "reservations/s, 8 callers, one runtime", value: `${spread(queuedRate, "per second", 0)} (reserve + settle through the write queue, group commit; account ended at ${ended("write queue")})  ${target(queuedRate, 2000, "per second", "at least")}` });
    } finally {
      await store.close();
    }
  } finally {
    await postgres.close();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
  return figures;
}
