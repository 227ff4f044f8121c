import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow } from "../src/index.ts";
import type { Figure } from "./engine.ts";
import { sample, spread } from "./stats.ts";

const steps = 100;
const double = defineAgent({ name: "double", owner: "bench", purpose: "doubles", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i * 2 });
const chain = defineWorkflow({
  name: "replay-chain",
  input: z.object({ steps: z.number() }),
  output: z.number(),
  run: async ({ steps: count }, ctx) => {
    let total = 0;
    for (let i = 0; i < count; i += 1) total += await ctx.call(double, { i });
    return total;
  },
});

/** Replaying a finished run (every agent's code run again over its journal) and forking it half-way, on a SQLite file. */
export async function benchReplay(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-replay-"));
  const runtime = await Runtime.open({ store: join(directory, "bench.db"), agents: [double], workflows: [chain] });
  try {
    const run = await (await runtime.start(chain, { steps })).result();
    if (run.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(run.error)}`);
    const replay = await sample(9, async () => {
      const started = performance.now();
      const report = await runtime.replay(run.runId);
      if (report.verdict !== "consistent") throw new Error(`bench replay diverged: ${report.divergence?.message}`);
      return performance.now() - started;
    });
    const fork = await sample(9, async () => {
      const started = performance.now();
      const forked = await (await runtime.fork(run.runId, { from: String(steps / 2 + 1) })).result();
      if (forked.status !== "completed") throw new Error(`bench fork failed: ${JSON.stringify(forked.error)}`);
      return performance.now() - started;
    });
    return [
      { name: `replay of a ${steps}-step run`, value: spread(replay, "ms") },
      { name: `fork of it at step ${steps / 2 + 1} (${steps / 2} copied)`, value: spread(fork, "ms") },
    ];
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
