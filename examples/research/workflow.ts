import { z } from "zod";
import { defineWorkflow, usd } from "cadre";
import { delivery, researcher, writer } from "./agents.ts";

/** Research → write → deliver (seed 002): three researchers in parallel, a writer, a delivery agent. */
export const researchReport = defineWorkflow({
  name: "research-report",
  input: z.object({ title: z.string(), topics: z.array(z.string()).min(1).max(5) }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  budget: { perRun: usd(1), allocation: usd(20) },
  goal: ({ title, topics }) => `Produce a short, factual report titled "${title}" covering ${topics.join(", ")}.`,
  run: async ({ title, topics }, ctx) => {
    const findings = await ctx.map(topics.map((topic) => ({ topic })), researcher);
    const report = await ctx.call(writer, { title, findings });
    const fileName = `${title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.md`;
    return ctx.call(delivery, { fileName, report });
  },
});
