import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow } from "../src/index.ts";

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

/** Best of `repeat` runs after one warm-up: the figure a steady process sees. */
async function best(repeat: number, measure: () => Promise<number>): Promise<number> {
  await measure();
  let fastest = Infinity;
  for (let i = 0; i < repeat; i += 1) fastest = Math.min(fastest, await measure());
  return fastest;
}

/** Engine figures: every step durable, journaled to a SQLite file in WAL mode. */
export async function benchEngine(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-"));
  const runtime = await Runtime.open({ store: join(directory, "bench.db"), agents: [noop, sleeper], workflows: [chain, fanOut] });
  const figures: Figure[] = [];
  try {
    const chainMs = await best(5, () => timeRun(runtime, "chain", { steps: 200 }));
    figures.push({ name: "200-step sequential chain", value: `${chainMs.toFixed(1)} ms (${((chainMs / 200) * 1000).toFixed(0)} µs/step)` });
    for (const width of [10, 100, 1000]) {
      const ms = await best(3, () => timeRun(runtime, "fan-out", { width, slow: false }));
      figures.push({ name: `fan-out/fan-in N=${width}`, value: `${ms.toFixed(1)} ms (${((ms / width) * 1000).toFixed(0)} µs/task)` });
    }
    // The same ten 50 ms calls, one after another and then at once: the speed-up is measured, not assumed.
    const serialMs = await best(1, () => timeRun(runtime, "chain", { steps: 10, slow: true }));
    const parallelMs = await best(3, () => timeRun(runtime, "fan-out", { width: 10, slow: true }));
    figures.push({ name: "10 agents × 50 ms in parallel", value: `${parallelMs.toFixed(1)} ms (speed-up ${(serialMs / parallelMs).toFixed(1)}× over ${serialMs.toFixed(0)} ms serial)` });
    const probe = JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, "rss-probe.mjs"), "1000"], { encoding: "utf8" })) as { status: string; error?: unknown; baseline: number; peak: number };
    if (probe.status !== "completed") throw new Error(`the RSS probe's run ended ${probe.status}: ${JSON.stringify(probe.error)}`);
    const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    figures.push({ name: "peak RSS, N=1000 fan-out", value: `${megabytes(probe.peak)} MB (node alone with zod + kysely ${megabytes(probe.baseline)} MB)` });
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}
