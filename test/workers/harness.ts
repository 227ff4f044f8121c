import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { repositoryRoot } from "../helpers/cli.ts";
import { until } from "../helpers/crash.ts";
import { EffectServer, type Seen } from "../helpers/effect-server.ts";
import { freshStoreLocation, postgresUrl, type TestStoreLocation } from "../helpers/stores.ts";

export const workersConfig = join(import.meta.dirname, "../fixtures/workers/cadre.config.ts");
const cliPath = join(repositoryRoot, "dist/cli/main.js");

export type EffectRequest = Seen<{ effect: string }>;

/** The outside world of the worker tests: each effect is `<run>#<i>`, answered with `{ i, key }`. */
export function effectServer(): EffectServer<{ effect: string }> {
  return new EffectServer({
    read: (body) => ({ effect: String(body.effect) }),
    effectOf: (request) => request.effect,
    answer: (request) => ({ i: Number(request.effect.split("#")[1]), key: request.key }),
  });
}

/** A `cadre worker` child process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Its owner id, as written on the leases it takes. */
  id: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Starts `node dist/cli/main.js worker` and waits for the line saying it takes work. */
export async function startWorker(location: string, env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [cliPath, "--store", location, "--config", workersConfig, "--json", "worker", ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  const worker: WorkerProcess = { child, id: "", stderr: "", exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (worker.stderr += chunk.toString()));
  let exited = false;
  void worker.exited.then(() => (exited = true));
  const announced = /"worker": "([^"]+)"/;
  await until(() => announced.test(stdout) || exited, "the worker to start");
  if (exited) throw new Error(`the worker exited before it started:\n${worker.stderr}`);
  worker.id = announced.exec(stdout)![1]!;
  return worker;
}

/** Kills (SIGKILL) the workers a test started and waits until each has exited; the list is emptied. */
export async function killWorkers(workers: WorkerProcess[]): Promise<void> {
  const stopping = workers.splice(0);
  for (const started of stopping) started.child.kill("SIGKILL");
  await Promise.all(stopping.map((started) => started.exited));
}

/** A fresh PostgreSQL store location whose cleanup also drops the pg-boss schema beside it. */
export async function freshQueueStore(): Promise<TestStoreLocation> {
  const location = await freshStoreLocation("postgres");
  const schema = new URL(location.location).searchParams.get("schema")!;
  return {
    ...location,
    async cleanup() {
      await location.cleanup();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}_jobs" cascade`);
      await client.end();
    },
  };
}

/** Runs the built CLI without blocking this process (the effect server here must keep answering). */
export function cadreAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (status) => resolve({ status, stdout, stderr })));
}
