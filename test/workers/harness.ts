import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { repositoryRoot } from "../helpers/cli.ts";
import { until } from "../helpers/crash.ts";
import { freshStoreLocation, postgresUrl, type TestStoreLocation } from "../helpers/stores.ts";

export const workersConfig = join(import.meta.dirname, "../fixtures/workers/cadre.config.ts");
const cliPath = join(repositoryRoot, "dist/cli/main.js");

export interface EffectRequest {
  effect: string;
  key: string;
  pid: number;
}

/**
 * The outside world: records every request with its idempotency key and the process that sent
 * it, answers a repeated key with its first answer, and holds the requests a test chooses.
 */
export class EffectServer {
  readonly requests: EffectRequest[] = [];
  readonly #server: Server;
  readonly #held: Array<() => void> = [];
  hold: (request: EffectRequest) => boolean = () => false;
  /** Requests answered 503, as a service that is down. */
  failing: (request: EffectRequest) => boolean = () => false;

  constructor() {
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The distinct idempotency keys each logical effect (`run#i`) was seen under. */
  keysByEffect(): Map<string, Set<string>> {
    const keys = new Map<string, Set<string>>();
    for (const request of this.requests) keys.set(request.effect, (keys.get(request.effect) ?? new Set()).add(request.key));
    return keys;
  }

  release(): void {
    this.hold = () => false;
    for (const resume of this.#held.splice(0)) resume();
  }

  close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of request) body += chunk;
    const { effect, pid } = JSON.parse(body) as { effect: string; pid: number };
    const seen = { effect, key: String(request.headers["idempotency-key"]), pid };
    this.requests.push(seen);
    if (this.hold(seen)) await new Promise<void>((resolve) => this.#held.push(resolve));
    if (this.failing(seen)) return void response.writeHead(503).end();
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ i: Number(effect.split("#")[1]), key: seen.key }));
  }
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
