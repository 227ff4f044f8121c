import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { z } from "zod";
import { Runtime, defineAgent, defineTool, defineWorkflow, usd } from "../src/index.ts";
import type { Figure } from "./engine.ts";

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
const sequential = defineWorkflow({
  name: "governed-calls",
  input: z.object({ callers: z.number(), calls: z.number() }),
  output: z.any(),
  budget: { perRun: usd(10), allocation: usd(1000) },
  run: ({ callers, calls }, ctx) => ctx.parallel(Array.from({ length: callers }, () => (branch) => branch.call(caller, { calls }))),
});

async function measure(runtime: Runtime, callers: number, calls: number): Promise<number> {
  const started = performance.now();
  const result = await (await runtime.start(sequential, { callers, calls })).result();
  if (result.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(result.error)}`);
  return performance.now() - started;
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Gateway figures: each call is authenticated, authorized, reserved, journaled, settled and audited. */
export async function benchGovernance(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-gov-"));
  const sqlite = await Runtime.open({ store: join(directory, "gov.db"), agents: [caller], workflows: [sequential] });
  try {
    await measure(sqlite, 1, 50);
    const ms = await measure(sqlite, 1, 500);
    figures.push({ name: "governed tool call, SQLite", value: `${((ms / 500) * 1000).toFixed(0)} µs per call (500 sequential)`, target: "< 300 µs" });
  } finally {
    await sqlite.close();
    rmSync(directory, { recursive: true, force: true });
  }
  if (!(await postgresReachable())) {
    figures.push({ name: "PostgreSQL figures", value: `skipped: no server at ${postgresUrl}` });
    return figures;
  }
  const schema = `bench_${process.pid}`;
  const postgres = await Runtime.open({ store: `${postgresUrl}?schema=${schema}`, agents: [caller], workflows: [sequential] });
  try {
    await measure(postgres, 1, 20);
    const ms = await measure(postgres, 1, 200);
    figures.push({ name: "governed tool call, PostgreSQL", value: `${((ms / 200) * 1000).toFixed(0)} µs per call (200 sequential)` });
    const concurrentMs = await measure(postgres, 8, 100);
    figures.push({ name: "reservations/s, 8 callers, PostgreSQL", value: `${Math.round(800 / (concurrentMs / 1000))} per second (800 governed calls in ${concurrentMs.toFixed(0)} ms)` });
  } finally {
    await postgres.close();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
  return figures;
}
