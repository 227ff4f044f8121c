import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { z } from "zod";
import { Runtime, defineAgent, defineTool, defineWorkflow, usd, type RuntimeObserver } from "../src/index.ts";
import { createTelemetry } from "../src/telemetry/index.ts";
import type { Figure } from "./engine.ts";

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

/** µs per governed tool call in one run of `calls` calls, with the given observers (none: telemetry off). */
async function perCall(observers: RuntimeObserver[], calls: number): Promise<number> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-otel-"));
  const runtime = await Runtime.open({ store: join(directory, "cadre.db"), agents: [pinger], workflows: [pings], observers });
  try {
    await (await runtime.start(pings, { calls: 50 })).result();
    const started = performance.now();
    const result = await (await runtime.start(pings, { calls })).result();
    if (result.status !== "completed") throw new Error(`bench run failed: ${JSON.stringify(result.error)}`);
    return ((performance.now() - started) / calls) * 1000;
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** What tracing adds to a governed tool call: a span per step, its gateway decisions as events, metrics. */
export async function benchTelemetry(): Promise<Figure[]> {
  const calls = 1000;
  const off = await perCall([], calls);
  const on = await perCall([createTelemetry({ spanExporter: new InMemorySpanExporter() })], calls);
  return [
    { name: "governed tool call, telemetry off", value: `${off.toFixed(0)} µs` },
    { name: "governed tool call, traced (in-memory exporter)", value: `${on.toFixed(0)} µs` },
  ];
}
