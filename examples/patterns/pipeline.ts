/** Pipeline: each stage's output is validated before the next stage runs. */
import { z } from "zod";
import { agent, runExample } from "./shared.ts";

const extract = agent("extract", (text: string) => ({ amount: Number(text.match(/\d+/)?.[0] ?? 0) }), z.object({ amount: z.number() }));
const enrich = agent("enrich", ({ amount }) => ({ amount, currency: "EUR" }), z.object({ amount: z.number(), currency: z.string() }));
const format = agent("format", ({ amount, currency }) => `${amount} ${currency}`, z.string());
await runExample("pipeline", { agents: [extract, enrich, format], input: "invoice total 420" }, (ctx, input) => ctx.pipeline([extract, enrich, format], input), (output) => `3 validated stages → "${output}"`);
