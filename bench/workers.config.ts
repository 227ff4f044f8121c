/** Workflows for the workers bench (bench/workers.ts): small governed runs handed to worker processes. */
import { z } from "zod";
import { defineAgent, defineWorkflow } from "../src/index.ts";

const noop = defineAgent({ name: "noop", owner: "bench", purpose: "does nothing", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i });

/** Sleeps in a step until aborted: the failover figure kills a worker while runs sit in it. */
const sleeper = defineAgent({
  name: "sleeper",
  owner: "bench",
  purpose: "holds a step open",
  input: z.object({ ms: z.number() }),
  output: z.number(),
  run: ({ ms }, { signal }) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(ms), ms);
    signal.addEventListener("abort", () => clearTimeout(timer));
  }),
});

export const small = defineWorkflow({
  name: "small",
  input: z.object({}),
  output: z.number(),
  run: async (_input, ctx) => (await ctx.call(noop, { i: 1 })) + (await ctx.call(noop, { i: 2 })),
});

export const slow = defineWorkflow({
  name: "slow",
  input: z.object({ ms: z.number() }),
  output: z.number(),
  run: async ({ ms }, ctx) => ctx.call(sleeper, { ms }),
});

/** One run whose `n` noop calls are distributed over the workers (each a child run of branch-noop). */
export const fan = defineWorkflow({
  name: "fan",
  input: z.object({ n: z.number(), distribute: z.boolean() }),
  output: z.number(),
  run: async ({ n, distribute }, ctx) => (await ctx.map(Array.from({ length: n }, (_, i) => ({ i })), noop, { distribute, branchBudget: 0 })).reduce((sum, value) => sum + value, 0),
});

export default {
  dispatch: "queue" as const,
  leaseMs: 3000,
  queue: { pollingSeconds: 0.5, heartbeatSeconds: 10, monitorSeconds: 1, watchMs: 100 },
  agents: [noop, sleeper],
  workflows: [small, slow, fan],
};
