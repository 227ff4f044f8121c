import { z } from "zod";
import { defineAgent, defineWorkflow, mcpServer, remoteAgent, usd, type HttpPayer } from "cadre";
import { decisionSchema, intake, scoring } from "../credit-risk/agents.ts";
import { reportSchema, screeningSchema, summarySchema } from "../credit-risk/tools.ts";
import { bureauPrice } from "./bureau.config.ts";

/**
 * The buying side of `npm run demo:interop`: the credit-risk orchestrator, with its bureau,
 * transactions and sanctions workers replaced by Bureau Co.'s services: the bureau agent over
 * A2A (paid with x402 within a cap) and two checks as MCP tools. Every remote call is a
 * governed effect: a grant, a hold, a timeout and a breaker, journaled and audited.
 */
export function lenderDefinitions(options: { sellerUrl: string; credential: string; payer: HttpPayer }) {
  const remoteBureau = remoteAgent({
    name: "remote-bureau",
    owner: "risk-data",
    purpose: "buy the applicant's credit report from Bureau Co.",
    url: `${options.sellerUrl}/a2a/bureau`,
    input: z.object({ applicantId: z.string() }),
    output: reportSchema,
    // Pays the bureau's x402 price, never more than the cap; the hold covers the cap.
    payment: { payer: options.payer, maxMicros: bureauPrice },
    credential: () => options.credential,
    timeout: 20_000,
  });
  // The checks are billed by contract per call: priced here, so each call is held, charged and attributed.
  const bureauTools = mcpServer({ name: "bureau-co", url: `${options.sellerUrl}/mcp`, headers: { authorization: `Bearer ${options.credential}` } }, { timeout: 20_000, prices: { "sanctions-screen": usd(0.002), "transactions-summary": usd(0.003) } });
  const screenTool = bureauTools.tool("sanctions-screen");
  const transactionsTool = bureauTools.tool("transactions-summary");
  const screener = defineAgent({
    name: "screener",
    owner: "compliance",
    purpose: "screen the applicant through Bureau Co.'s sanctions tool (MCP)",
    tools: [screenTool],
    grants: [{ scope: "mcp:bureau-co:sanctions-screen" }],
    input: z.object({ name: z.string() }),
    output: screeningSchema,
    timeout: 25_000,
    run: async (input, context) => screeningSchema.parse(await context.tools.call(screenTool, input)),
  });
  const ledger = defineAgent({
    name: "ledger",
    owner: "risk-data",
    purpose: "summarize the applicant's transactions through Bureau Co.'s MCP tool",
    tools: [transactionsTool],
    grants: [{ scope: "mcp:bureau-co:transactions-summary" }],
    input: z.object({ applicantId: z.string() }),
    output: summarySchema,
    timeout: 25_000,
    run: async ({ applicantId }, context) => summarySchema.parse(await context.tools.call(transactionsTool, { applicantId, months: 12 })),
  });
  const remoteCreditDecision = defineWorkflow({
    name: "remote-credit-decision",
    description: "decide a credit application with a bought bureau report and remote checks",
    input: z.object({ applicantId: z.string().regex(/^A-\d{4}$/) }),
    output: decisionSchema.extend({ applicantId: z.string() }),
    budget: { perRun: usd(0.5), allocation: usd(5) },
    run: async ({ applicantId }, ctx) => {
      const applicant = await ctx.call(intake, { applicantId });
      // The three remote calls in parallel: the bought report (A2A + x402) and the two MCP checks.
      const [report, summary, screening] = await ctx.parallel([(branch) => branch.call(remoteBureau, { applicantId }), (branch) => branch.call(ledger, { applicantId }), (branch) => branch.call(screener, { name: applicant.fullName })]);
      return { applicantId, ...(await ctx.call(scoring, { applicant, report, transactions: summary, sanctions: screening })) };
    },
  });
  return { agents: [intake, scoring, remoteBureau, screener, ledger], workflow: remoteCreditDecision, mcpServers: [bureauTools] };
}
