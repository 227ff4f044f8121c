/** Hierarchical: a parent workflow runs a child workflow as its own run, with a budget carved from the parent. */
import { z } from "zod";
import { defineWorkflow, formatUsd, usd } from "cadre";
import { agent, runExample, type ExampleRun } from "./shared.ts";

const analyst = agent("analyst", ({ region }) => `${region}: demand up 4%`);
const regional = defineWorkflow({ name: "regional-report", input: z.object({ region: z.string() }), output: z.string(), run: (input, ctx) => ctx.call(analyst, input) });
await runExample("hierarchy", { agents: [analyst], workflows: [regional] }, async (ctx) => {
  const reports = await ctx.parallel(["north", "south"].map((region) => (branch) => branch.call(regional, { region }, { budget: usd(0.1) })));
  return { reports };
}, async (output, run) => {
  const carved = await carvedBudgets(run);
  return `${carved.length} child runs (carved from the parent's account: ${carved.map(formatUsd).join(", ")}): ${output.reports.join("; ")}`;
});

/** What the ledger moved from the parent run's account into each child run's account when it started. */
async function carvedBudgets({ runtime, runId }: ExampleRun): Promise<number[]> {
  const children = await runtime.listRuns({ parentRunId: runId });
  const transfers = await runtime.store.db
    .selectFrom("ledger_entries")
    .select(["to_account", "amount"])
    .where("kind", "=", "transfer")
    .where("from_account", "=", `run:${runId}`)
    .where("to_account", "in", children.map((child) => `run:${child.id}`))
    .orderBy("created_at")
    .execute();
  return transfers.map((transfer) => Number(transfer.amount));
}
