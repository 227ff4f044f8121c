/**
 * Runs handed to worker processes over PostgreSQL (pg-boss): throughput and start→end latency
 * of small governed runs with 1, 2 and 4 `cadre worker` processes, how long a queued run waits
 * for a worker (dispatch), and how long a killed worker's runs take to be taken over.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { Runtime } from "../src/index.ts";
import config from "./workers.config.ts";
import type { Figure } from "./engine.ts";
import { percentile, postgresReachable } from "./stats.ts";

const postgresUrl = process.env.CADRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const runs = Number(process.env.CADRE_BENCH_WORKER_RUNS ?? 1000);
const cli = join(import.meta.dirname, "../dist/cli/main.js");
const configPath = join(import.meta.dirname, "workers.config.ts");

async function dropSchemas(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.query(`drop schema if exists "${schema}_jobs" cascade`);
  await client.end();
}

function startWorker(location: string, concurrency: number): Promise<ChildProcess> {
  // The worker's own lines (draining, stopped) would interleave with the figures: kept, shown only if it fails.
  const child = spawn(process.execPath, [cli, "--store", location, "--config", configPath, "--json", "worker", "--concurrency", String(concurrency)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"worker"')) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`a bench worker exited with ${code}: ${stderr}`)));
  });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once("exit", resolve);
    child.kill("SIGTERM");
  })));
}

/** Polls until `check` holds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function withStore<T>(work: (location: string) => Promise<T>): Promise<T> {
  const schema = `bench_workers_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const location = `${postgresUrl}?schema=${schema}`;
  try {
    return await work(location);
  } finally {
    await dropSchemas(schema);
  }
}

/** `runs` small runs through `count` workers: runs/s and, from the store's own timestamps, start→end and dispatch latency. */
async function throughput(count: number): Promise<Figure[]> {
  return withStore(async (location) => {
    const submitter = await Runtime.open({ ...config, store: location });
    const workers = await Promise.all(Array.from({ length: count }, () => startWorker(location, 16)));
    try {
      const begin = performance.now();
      for (let sent = 0; sent < runs; sent += 50) await Promise.all(Array.from({ length: Math.min(50, runs - sent) }, () => submitter.start("small", {})));
      const submittedMs = performance.now() - begin;
      await until(async () => Number((await submitter.store.db.selectFrom("runs").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "in", ["completed", "failed"]).executeTakeFirst())?.n) >= runs);
      const wallMs = performance.now() - begin;
      const rows = await submitter.store.db.selectFrom("runs").select(["id", "status", "created_at", "ended_at"]).execute();
      const failed = rows.filter((row) => row.status !== "completed").length;
      const firstSteps = await submitter.store.db.selectFrom("steps").select(["run_id", (eb) => eb.fn.min("started_at").as("first")]).groupBy("run_id").execute();
      const created = new Map(rows.map((row) => [row.id, Number(row.created_at)]));
      const latencies = rows.map((row) => Number(row.ended_at) - Number(row.created_at)).sort((a, b) => a - b);
      const dispatch = firstSteps.map((row) => Number(row.first) - created.get(row.run_id)!).sort((a, b) => a - b);
      return [
        { name: `${runs} small runs, ${count} worker${count > 1 ? "s" : ""}`, value: `${((runs / wallMs) * 1000).toFixed(0)} runs/s (${wallMs.toFixed(0)} ms wall, 2 agent steps each${failed ? `, ${failed} NOT completed` : ""})${count === 4 ? `  ${mark((runs / wallMs) * 1000 >= 300 && failed === 0)} target ≥ 300 runs/s` : ""}` },
        { name: `  enqueue (one submitting process)`, value: `${((runs / submittedMs) * 1000).toFixed(0)} runs/s (run row, account, audit record and ticket in one transaction)` },
        { name: `  start→end latency`, value: `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms` },
        { name: `  dispatch (queued → first step)`, value: `p50 ${percentile(dispatch, 50)} ms, p99 ${percentile(dispatch, 99)} ms` },
      ];
    } finally {
      await stopWorkers(workers);
      await submitter.close();
    }
  });
}

const mark = (met: boolean) => (met ? "✓" : "✗");

/** One run at a time through one idle worker: how long a queued run waits for a worker (pg-boss NOTIFY). */
async function idleDispatch(): Promise<Figure[]> {
  return withStore(async (location) => {
    const submitter = await Runtime.open({ ...config, store: location });
    const workers = [await startWorker(location, 4)];
    try {
      for (let i = 0; i < 50; i += 1) await (await submitter.start("small", {})).result();
      const rows = await submitter.store.db.selectFrom("runs").select(["id", "created_at"]).execute();
      const firstSteps = await submitter.store.db.selectFrom("steps").select(["run_id", (eb) => eb.fn.min("started_at").as("first")]).groupBy("run_id").execute();
      const created = new Map(rows.map((row) => [row.id, Number(row.created_at)]));
      const dispatch = firstSteps.map((row) => Number(row.first) - created.get(row.run_id)!).sort((a, b) => a - b);
      return [{ name: "dispatch, idle worker (queued → first step)", value: `p50 ${percentile(dispatch, 50)} ms, p99 ${percentile(dispatch, 99)} ms (50 runs one at a time)  ${mark(percentile(dispatch, 99) <= 100)} target p99 ≤ 100 ms` }];
    } finally {
      await stopWorkers(workers);
      await submitter.close();
    }
  });
}

/** Kills (-9) a worker holding runs mid-step and measures until every one of them has a new owner. */
async function failover(): Promise<Figure[]> {
  return withStore(async (location) => {
    const submitter = await Runtime.open({ ...config, store: location });
    const victim = await startWorker(location, 8);
    const workers = [victim];
    try {
      const handles = await Promise.all(Array.from({ length: 8 }, () => submitter.start("slow", { ms: 600_000 })));
      const held = async () => submitter.store.db.selectFrom("runs").select(["id", "lease_owner", "lease_epoch"]).where("id", "in", handles.map((handle) => handle.runId)).execute();
      await until(async () => (await held()).every((row) => row.lease_owner !== null));
      const before = new Map((await held()).map((row) => [row.id, Number(row.lease_epoch)]));
      workers.push(await startWorker(location, 8));
      const killedAt = performance.now();
      victim.kill("SIGKILL");
      await until(async () => (await held()).every((row) => row.lease_owner !== null && Number(row.lease_epoch) > before.get(row.id)! + 1));
      const failoverMs = performance.now() - killedAt;
      for (const handle of handles) await submitter.store.db.updateTable("runs").set({ status: "cancelled" }).where("id", "=", handle.runId).execute();
      return [{ name: "failover of a kill -9'd worker's 8 runs", value: `${(failoverMs / 1000).toFixed(1)} s until a survivor held them all (leaseMs ${config.leaseMs}; sweep every leaseMs/3)  ${mark(failoverMs <= 10_000)} target ≤ 10 s` }];
    } finally {
      for (const child of workers) child.kill("SIGKILL");
      await submitter.close();
    }
  });
}

/** One run's fan-out of `branches` agent calls: distributed over 4 workers, and in-process in one worker for comparison. */
async function distributedFanOut(): Promise<Figure[]> {
  const branches = Number(process.env.CADRE_BENCH_FAN_OUT ?? 1000);
  const expected = (branches * (branches - 1)) / 2;
  return withStore(async (location) => {
    const submitter = await Runtime.open({ ...config, store: location });
    const workers = await Promise.all(Array.from({ length: 4 }, () => startWorker(location, 16)));
    try {
      const figures: Figure[] = [];
      for (const distribute of [true, false]) {
        const begin = performance.now();
        const result = await (await submitter.start("fan", { n: branches, distribute })).result();
        const wallMs = performance.now() - begin;
        const ok = result.status === "completed" && result.output === expected;
        const children = Number((await submitter.store.db.selectFrom("runs").select((eb) => eb.fn.countAll<number>().as("n")).where("parent_run_id", "=", result.runId).executeTakeFirst())?.n);
        const resumes = Number((await submitter.store.db.selectFrom("audit_log").select((eb) => eb.fn.countAll<number>().as("n")).where("run_id", "=", result.runId).where("kind", "=", "run.resume").executeTakeFirst())?.n);
        figures.push({
          name: `fan-out of ${branches} agent calls, ${distribute ? "distributed over 4 workers" : "in the worker holding the run"}`,
          value: `${(wallMs / 1000).toFixed(1)} s (${((branches / wallMs) * 1000).toFixed(0)} branches/s; ${distribute ? `${children} branch runs, parent resumed ${resumes}×` : "one process"}${ok ? "" : `; NOT completed: ${result.status}`})`,
        });
      }
      return figures;
    } finally {
      await stopWorkers(workers);
      await submitter.close();
    }
  });
}

export async function benchWorkers(): Promise<Figure[]> {
  if (!(await postgresReachable())) return [{ name: "skipped", value: `PostgreSQL at ${postgresUrl} is not reachable` }];
  const figures: Figure[] = [];
  for (const count of [1, 2, 4]) figures.push(...(await throughput(count)));
  figures.push(...(await idleDispatch()));
  figures.push(...(await failover()));
  figures.push(...(await distributedFanOut()));
  return figures;
}

