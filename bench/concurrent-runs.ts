/**
 * 200 small runs started at once in one process: throughput and each run's start-to-end
 * latency. With group commit every run's writes share transactions; the figure that matters
 * is whether a run waits for unrelated runs (p50 close to the wall time means it does).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow } from "../src/index.ts";
import type { Figure } from "./engine.ts";
import { percentile } from "./stats.ts";

const runs = 200;
const stepsPerRun = 5;

const noop = defineAgent({ name: "noop", owner: "bench", purpose: "does nothing", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i });
const small = defineWorkflow({
  name: "small",
  input: z.object({}),
  output: z.number(),
  run: async (_input, ctx) => {
    let last = 0;
    for (let i = 0; i < stepsPerRun; i += 1) last = await ctx.call(noop, { i });
    return last;
  },
});

/** Starts `runs` runs at once and returns [wall ms, sorted latencies ms]. */
async function burst(store: string): Promise<{ wallMs: number; latencies: number[] }> {
  const runtime = await Runtime.open({ store, agents: [noop], workflows: [small] });
  try {
    const begin = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: runs }, async () => {
        const startedAt = performance.now();
        const handle = await runtime.start(small, {});
        const result = await handle.result();
        if (result.status !== "completed") throw new Error(`bench run ${handle.runId} ended ${result.status}`);
        return performance.now() - startedAt;
      }),
    );
    return { wallMs: performance.now() - begin, latencies: latencies.sort((a, b) => a - b) };
  } finally {
    await runtime.close();
  }
}

function figures(label: string, measured: { wallMs: number; latencies: number[] }): Figure[] {
  const { wallMs, latencies } = measured;
  return [
    { name: `${runs} concurrent runs, ${label}`, value: `${((runs / wallMs) * 1000).toFixed(0)} runs/s (${wallMs.toFixed(0)} ms wall, ${stepsPerRun} agent steps each)` },
    { name: `  start-to-end latency, ${label}`, value: `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (p50/wall ${(percentile(latencies, 50) / wallMs).toFixed(2)})` },
  ];
}

export async function benchConcurrentRuns(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-runs-"));
  try {
    await burst(join(directory, "warm.db"));
    const result = figures("SQLite", await burst(join(directory, "runs.db")));
    const postgres = process.env.CADRE_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
    const schema = `bench_runs_${process.pid}`;
    try {
      result.push(...figures("PostgreSQL", await burst(`${postgres}?schema=${schema}`)));
    } catch (error) {
      result.push({ name: `${runs} concurrent runs, PostgreSQL`, value: `skipped: ${(error as Error).message}` });
    } finally {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: postgres });
      await client.connect().then(() => client.query(`drop schema if exists "${schema}" cascade`)).catch(() => {}).finally(() => client.end());
    }
    return result;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.main) for (const figure of await benchConcurrentRuns()) process.stdout.write(`${figure.name.padEnd(44)} ${figure.value}\n`);
