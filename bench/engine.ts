import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import BetterSqlite3 from "better-sqlite3";
import { Runtime, defineAgent, defineWorkflow } from "../src/index.ts";
import { sample, spread, target } from "./stats.ts";

/** One line of the bench output: what was measured and the figure. */
export interface Figure {
  name: string;
  value: string;
}

const noop = defineAgent({ name: "noop", owner: "bench", purpose: "does nothing", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i });
const sleeper = defineAgent({
  name: "sleeper",
  owner: "bench",
  purpose: "waits 50 ms",
  input: z.object({ i: z.number() }),
  output: z.number(),
  run: ({ i }) => new Promise<number>((resolve) => setTimeout(() => resolve(i), 50)),
});
const chain = defineWorkflow({
  name: "chain",
  input: z.object({ steps: z.number(), slow: z.boolean().default(false) }),
  output: z.number(),
  run: async ({ steps, slow }, ctx) => {
    let last = 0;
    for (let i = 0; i < steps; i += 1) last = await ctx.call(slow ? sleeper : noop, { i });
    return last;
  },
});
const fanOut = defineWorkflow({
  name: "fan-out",
  input: z.object({ width: z.number(), slow: z.boolean() }),
  output: z.number(),
  run: async ({ width, slow }, ctx) => {
    const items = Array.from({ length: width }, (_, i) => ({ i }));
    const results = await ctx.map(items, slow ? sleeper : noop);
    return results.length;
  },
});

async function timeRun(runtime: Runtime, workflow: string, input: unknown): Promise<number> {
  const started = performance.now();
  const result = await (await runtime.start(workflow, input)).result();
  if (result.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(result.error)}`);
  return performance.now() - started;
}

/**
 * The floor a durable step stands on: raw better-sqlite3 committing `commits` one-row
 * transactions to a file with the store's settings (WAL, synchronous NORMAL), in milliseconds.
 */
function sqliteFloor(directory: string, commits: number): () => number {
  const database = new BetterSqlite3(join(directory, "floor.db"));
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.exec("create table if not exists t (k integer primary key, v text not null)");
  const insert = database.prepare("insert into t (v) values (?)");
  const begin = database.prepare("begin immediate");
  const commit = database.prepare("commit");
  return () => {
    const started = performance.now();
    for (let i = 0; i < commits; i += 1) {
      begin.run();
      insert.run(`row ${i}`);
      commit.run();
    }
    return performance.now() - started;
  };
}

/** One run of the RSS probe in a fresh node process with `flags`; a run that did not complete gives no figures. */
function rssProbe(flags: string[]): { baseline: number; peak: number } {
  const probe = JSON.parse(execFileSync(process.execPath, [...flags, join(import.meta.dirname, "rss-probe.mjs"), "1000"], { encoding: "utf8" })) as { status: string; error?: unknown; baseline: number; peak: number };
  if (probe.status !== "completed") throw new Error(`the RSS probe's run ended ${probe.status}: ${JSON.stringify(probe.error)}`);
  return probe;
}

/** The median of three fresh processes' RSS after importing `stage` (see bench/rss-floor.mjs), in bytes. */
function rssFloor(stage: "node" | "zod" | "cadre"): number {
  const values = [0, 1, 2].map(() => Number(execFileSync(process.execPath, [join(import.meta.dirname, "rss-floor.mjs"), stage], { encoding: "utf8" })));
  return values.sort((left, right) => left - right)[1]!;
}

/** Engine figures: every step durable, journaled to a SQLite file in WAL mode. */
export async function benchEngine(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-"));
  const runtime = await Runtime.open({ store: join(directory, "bench.db"), agents: [noop, sleeper], workflows: [chain, fanOut] });
  const figures: Figure[] = [];
  try {
    // The chain makes 203 commits (one per step, folded with the next step's start, plus the run's own).
    const floor = await sample(9, sqliteFloor(directory, 203));
    const chainMs = await sample(9, () => timeRun(runtime, "chain", { steps: 200 }));
    figures.push({ name: "floor: 203 one-row commits, raw SQLite", value: spread(floor, "ms") });
    figures.push({
      name: "200-step sequential chain",
      value: `${spread(chainMs, "ms")}, ${((chainMs.median / 200) * 1000).toFixed(0)} µs/step, ${(chainMs.median / floor.median).toFixed(1)}× floor  ${target(chainMs, 25, "ms")}`,
    });
    for (const width of [10, 100, 1000]) {
      const ms = await sample(width === 1000 ? 5 : 7, () => timeRun(runtime, "fan-out", { width, slow: false }));
      const goal = width === 1000 ? `  ${target(ms, 100, "ms")}` : "";
      figures.push({ name: `fan-out/fan-in N=${width}`, value: `${spread(ms, "ms")}, ${((ms.median / width) * 1000).toFixed(0)} µs/task${goal}` });
    }
    // The same ten 50 ms calls, one after another and then at once: the speed-up is measured, not assumed.
    const serialMs = await sample(1, () => timeRun(runtime, "chain", { steps: 10, slow: true }));
    const parallelMs = await sample(5, () => timeRun(runtime, "fan-out", { width: 10, slow: true }));
    figures.push({ name: "10 agents × 50 ms in parallel", value: `${spread(parallelMs, "ms")}, speed-up ${(serialMs.median / parallelMs.median).toFixed(1)}× over ${serialMs.median.toFixed(0)} ms serial  ${target(parallelMs, 53, "ms")}` });
    const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    // V8's young generation grows to 3 × its semi-space (16 MB by default) under a burst of
    // allocations; a smaller one is a deployment knob (NODE_OPTIONS), so both are printed.
    // Each probe is a fresh process; three of them per setting, reported as median (min–max).
    for (const flags of [[], ["--max-semi-space-size=2"]]) {
      const probes = [0, 1, 2].map(() => rssProbe(flags));
      const median = (pick: (probe: { baseline: number; peak: number }) => number) => probes.map(pick).sort((left, right) => left - right)[1]!;
      const peaks = probes.map((probe) => probe.peak / 1024 / 1024);
      const peak = { median: median((probe) => probe.peak) / 1024 / 1024, min: Math.min(...peaks), max: Math.max(...peaks) };
      const name = flags.length === 0 ? "peak RSS, N=1000 fan-out" : `  the same with ${flags[0]}`;
      figures.push({ name, value: `${spread(peak, "MB")} (after importing zod and cadre ${megabytes(median((probe) => probe.baseline))} MB)  ${target(peak, 90, "MB")}` });
    }
    // What that baseline stands on: node itself and zod cost most of it before cadre loads.
    figures.push({ name: "  RSS floor: node / + zod / + cadre", value: `${megabytes(rssFloor("node"))} / ${megabytes(rssFloor("zod"))} / ${megabytes(rssFloor("cadre"))} MB` });
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}
