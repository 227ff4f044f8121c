/** Router/classifier: a model-backed classifier on the fast tier picks the specialist (offline scripted model). */
import { z } from "zod";
import { defineAgent } from "cadre";
import { startScriptedOpenAIServer } from "cadre/testing";
import { agent, runExample } from "./shared.ts";

const server = await startScriptedOpenAIServer({ script: (request) => ({ text: JSON.stringify({ route: JSON.stringify(request.messages).includes("refund") ? "billing" : "tech", confidence: 0.91 }) }) });
process.env.CADRE_OPENAI_BASE_URL = server.baseURL;
const classifier = defineAgent({
  name: "classifier",
  owner: "examples",
  purpose: "classify support tickets",
  model: { tier: "fast" },
  instructions: "Classify the ticket as billing or tech.",
  output: z.object({ route: z.enum(["billing", "tech"]), confidence: z.number() }),
});
const billing = agent("billing", (text: string) => `billing team takes: ${text}`);
const tech = agent("tech", (text: string) => `tech team takes: ${text}`);
try {
  await runExample("route", { agents: [classifier, billing, tech], models: { tiers: { fast: "openai:gpt-4o-mini" } }, input: "I was charged twice, please refund" }, (ctx, input) => ctx.route(classifier, { billing, tech }, input), (output) => `→ ${output.route} (confidence ${output.classification.confidence})`);
} finally {
  await server.close();
}
