/** Confidence gate: a low-confidence answer goes to a critic instead of flowing downstream. */
import { agent, runExample } from "./shared.ts";

const extractor = agent("extractor", () => ({ total: 1093, confidence: 0.41 }));
const checker = agent("checker", (draft) => ({ ...draft, total: 1039, confidence: 0.97 }));
await runExample("confidence gate", { agents: [extractor, checker] }, async (ctx) => ctx.gate(await ctx.call(extractor, {}), { threshold: 0.8, critic: checker }), (output) => `confidence below 0.8 → ${output.via}, corrected total ${output.output.total}`);
