/** Hierarchical: a parent workflow runs a child workflow as its own run, with a budget carved from the parent. */
import { z } from "zod";
import { defineWorkflow, formatUsd, usd } from "cadre";
import { agent, runExample } from "./shared.ts";

const analyst = agent("analyst", ({ region }) => `${region}: demand up 4%`);
const regional = defineWorkflow({ name: "regional-report", input: z.object({ region: z.string() }), output: z.string(), run: (input, ctx) => ctx.call(analyst, input) });
await runExample("hierarchy", { agents: [analyst], workflows: [regional] }, async (ctx) => {
  const reports = await ctx.parallel(["north", "south"].map((region) => (branch) => branch.call(regional, { region }, { budget: usd(0.1) })));
  return { reports, carved: formatUsd(usd(0.1)) };
}, (output) => `2 child runs (each carved ${output.carved}): ${output.reports.join("; ")}`);
