// Peak RSS of a 1000-wide durable fan-out, measured in plain JavaScript against the built
// package: Node's TypeScript stripping alone adds ~60 MB that a deployed runtime never pays.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow } from "../dist/index.js";

const width = Number(process.argv[2] ?? 1000);
const noop = defineAgent({ name: "noop", owner: "bench", purpose: "does nothing", input: z.object({ i: z.number() }), output: z.number(), run: ({ i }) => i });
const fanOut = defineWorkflow({
  name: "fan-out",
  input: z.object({}),
  output: z.number(),
  run: async (_input, ctx) => (await ctx.map(Array.from({ length: width }, (_, i) => ({ i })), noop)).length,
});
const directory = mkdtempSync(join(tmpdir(), "cadre-rss-"));
const baseline = process.memoryUsage().rss;
const runtime = await Runtime.open({ store: join(directory, "rss.db"), agents: [noop], workflows: [fanOut] });
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 1);
const result = await (await runtime.start(fanOut, {})).result();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await runtime.close();
rmSync(directory, { recursive: true, force: true });
// The caller refuses figures from a run that did not complete.
process.stdout.write(JSON.stringify({ status: result.status, error: result.error, baseline, peak }));
