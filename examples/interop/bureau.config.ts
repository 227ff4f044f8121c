import { z } from "zod";
import { defineAgent, defineWorkflow, usd } from "cadre";
import { sanctions, transactions } from "../credit-risk/agents.ts";
import { creditReportFor } from "../credit-risk/credit-report.ts";
import { reportSchema, screeningSchema, summarySchema } from "../credit-risk/tools.ts";

/**
 * Bureau Co., the selling side of `npm run demo:interop`: its credit-report agent is sold
 * over A2A for 5 cents a call (x402, scheme iou), and two of its checks are free MCP tools.
 * `cadre serve --config examples/interop/bureau.config.ts` serves all three.
 */
export const bureauPrice = usd(0.05);

export const bureau = defineAgent({
  name: "bureau",
  owner: "bureau-co",
  purpose: "sell an applicant's credit report",
  dataAccess: "confidential",
  risk: "limited",
  input: z.object({ applicantId: z.string().regex(/^A-\d{4}$/) }),
  output: reportSchema,
  run: ({ applicantId }) => creditReportFor(applicantId),
});

export const sanctionsScreen = defineWorkflow({
  name: "sanctions-screen",
  description: "screen a name against the sanctions list",
  input: z.object({ name: z.string().min(1) }),
  output: screeningSchema,
  budget: { perRun: usd(0.02), allocation: usd(5) },
  run: (input, ctx) => ctx.call(sanctions, input),
});

export const transactionsSummary = defineWorkflow({
  name: "transactions-summary",
  description: "summarize an applicant's transactions over some months",
  input: z.object({ applicantId: z.string(), months: z.number().int().min(1).max(24) }),
  output: summarySchema,
  budget: { perRun: usd(0.02), allocation: usd(5) },
  run: (input, ctx) => ctx.call(transactions, input),
});

export default {
  agents: [bureau, sanctions, transactions],
  workflows: [sanctionsScreen, transactionsSummary],
  expose: {
    // Priced: offered over A2A only, where x402 charges for it.
    agents: { bureau: { price: bureauPrice, budget: { perRun: usd(0.01), allocation: usd(1) } } },
    workflows: { "sanctions-screen": { via: ["mcp"] }, "transactions-summary": { via: ["mcp"] } },
  },
};
