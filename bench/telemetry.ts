import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { z } from "zod";
import { Runtime, defineAgent, defineTool, defineWorkflow, usd, type RuntimeObserver } from "../src/index.ts";
import { createTelemetry } from "../src/telemetry/index.ts";
import type { Figure } from "./engine.ts";
import { sample, spread, type Sample } from "./stats.ts";

const ping = defineTool({ name: "ping", description: "a governed call costing one micro-dollar", input: z.object({ i: z.number() }), output: z.number(), price: 1, run: ({ i }) => i });
const pinger = defineAgent({
  name: "pinger",
  owner: "bench",
  purpose: "makes governed tool calls one after another",
  tools: [ping],
  grants: [{ scope: "tool:ping" }],
  input: z.object({ calls: z.number() }),
  output: z.number(),
  run: async ({ calls }, context) => {
    for (let i = 0; i < calls; i += 1) await context.tools.call(ping, { i });
    return calls;
  },
});
const pings = defineWorkflow({ name: "pings", input: z.object({ calls: z.number() }), output: z.number(), budget: { perRun: usd(10), allocation: usd(1000) }, run: (input, ctx) => ctx.call(pinger, input) });

/** A runtime on a fresh SQLite file with the given observers (none: telemetry off). */
async function openBench(observers: RuntimeObserver[]): Promise<{ runtime: Runtime; close(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-otel-"));
  const runtime = await Runtime.open({ store: join(directory, "cadre.db"), agents: [pinger], workflows: [pings], observers });
  return {
    runtime,
    close: async () => {
      await runtime.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** µs per governed tool call in one run of `calls` sequential calls. */
async function perCall(runtime: Runtime, calls: number): Promise<number> {
  const started = performance.now();
  const result = await (await runtime.start(pings, { calls })).result();
  if (result.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(result.error)}`);
  return ((performance.now() - started) / calls) * 1000;
}

/** Median and spread of the measured rounds, the first (the warm-up) left out. */
function summary(values: number[]): Sample {
  const measured = values.slice(1).sort((left, right) => left - right);
  return { median: measured[Math.floor(measured.length / 2)]!, min: measured[0]!, max: measured.at(-1)! };
}

/** What tracing adds to a governed tool call: a span per step, its gateway decisions as events, metrics. Measured alternately, in one process. */
export async function benchTelemetry(): Promise<Figure[]> {
  const off = await openBench([]);
  const traced = await openBench([createTelemetry({ spanExporter: new InMemorySpanExporter() })]);
  try {
    const offTimes: number[] = [];
    const tracedTimes: number[] = [];
    const both = async () => {
      offTimes.push(await perCall(off.runtime, 300));
      tracedTimes.push(await perCall(traced.runtime, 300));
      return 0;
    };
    await sample(5, both);
    return [
      { name: "governed tool call, telemetry off", value: `${spread(summary(offTimes), "µs", 0)} per call (300 sequential)` },
      { name: "governed tool call, traced", value: `${spread(summary(tracedTimes), "µs", 0)} per call (in-memory exporter)` },
    ];
  } finally {
    await off.close();
    await traced.close();
  }
}
