/**
 * The HTTP API on SQLite, over real sockets on 127.0.0.1: how many authenticated reads it
 * answers (each checks the key's hash and marks it used), how long a run started over HTTP
 * takes until its run-end reaches an SSE client, and what one idle event stream costs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, openOperator } from "../src/index.ts";
import { listen } from "../src/server/listen.ts";
import type { Figure } from "./engine.ts";
import { collectGarbage, percentile } from "./stats.ts";

const noop = defineAgent({ name: "noop", owner: "bench", purpose: "does nothing", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i });
const small = defineWorkflow({ name: "small", input: z.object({}), output: z.number(), run: (_input, ctx) => ctx.call(noop, { i: 1 }) });

/** Reads the SSE stream until a run-end of `runId` arrives. */
async function untilRunEnd(url: string, key: string): Promise<void> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done || (text += value).includes("event: run-end")) break;
  }
  await reader.cancel();
}

export async function benchServer(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-server-"));
  const runtime = await Runtime.open({ store: join(directory, "cadre.db"), agents: [noop], workflows: [small] });
  const { secret: key } = await openOperator({ store: runtime.store, principal: "bench" }).keys.create({ operator: "bench", role: "admin" });
  const server = await listen({ runtime, auth: { mode: "keys" }, host: "127.0.0.1", port: 0 });
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  try {
    for (let i = 0; i < 20; i += 1) await (await fetch(`${server.url}/api/me`, { headers })).text();
    const reads = 500;
    let begin = performance.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < reads / 8; i += 1) await (await fetch(`${server.url}/api/runs?limit=20`, { headers })).text();
    }));
    const readMs = performance.now() - begin;

    const latencies: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      const startedAt = performance.now();
      const { runId } = (await (await fetch(`${server.url}/api/runs`, { method: "POST", headers, body: JSON.stringify({ workflow: "small", input: {} }) })).json()) as { runId: string };
      await untilRunEnd(`${server.url}/api/runs/${runId}/events`, key);
      latencies.push(performance.now() - startedAt);
    }
    latencies.sort((a, b) => a - b);

    const streams = 200;
    // Readings after a full collection: without it garbage from the runs above, collected
    // between the two readings, could make the difference negative.
    await collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const controllers = await Promise.all(Array.from({ length: streams }, async () => {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/api/events`, { headers, signal: controller.signal });
      void response.body!.getReader().read().catch(() => {});
      return controller;
    }));
    // Each fetch resolved on the response headers: the server has registered every stream by now.
    await collectGarbage();
    const perStream = (process.memoryUsage().heapUsed - before) / streams;
    for (const controller of controllers) controller.abort();
    begin = performance.now();
    await server.close();
    const closeMs = performance.now() - begin;
    return [
      { name: "GET /api/runs, 8 clients, SQLite", value: `${((reads / readMs) * 1000).toFixed(0)} requests/s (${reads} requests, key checked on each)` },
      { name: "POST /api/runs to run-end over SSE", value: `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (50 one-step runs, one after another)` },
      { name: `${streams} open event streams`, value: `~${(perStream / 1024).toFixed(0)} KiB heap each (client and server in one process); shutdown ${closeMs.toFixed(0)} ms` },
    ];
  } finally {
    await server.close();
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
