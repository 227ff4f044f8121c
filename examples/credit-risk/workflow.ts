import { z } from "zod";
import { defineWorkflow, usd } from "cadre";
import { creditBureau, decisionSchema, intake, sanctions, scoring, transactions } from "./agents.ts";

/**
 * The orchestrator: load the application, fan out to the bureau, transactions and
 * sanctions workers in parallel, then score. Every call is a durable, journaled step.
 */
export const creditDecision = defineWorkflow({
  name: "credit-decision",
  description: "decide a credit application from bureau, transactions and sanctions findings",
  input: z.object({ applicantId: z.string().regex(/^A-\d{4}$/, "an applicant id like A-1001") }),
  output: decisionSchema.extend({ applicantId: z.string(), bureau: z.enum(["ok", "unavailable"]) }),
  budget: { perRun: usd(2), allocation: usd(25) },
  goal: ({ applicantId }) => `Decide the credit application of ${applicantId} with reasons a credit officer can check.`,
  run: async ({ applicantId }, ctx) => {
    const applicant = await ctx.call(intake, { applicantId });
    // The bureau may fail (or its circuit may be open): the decision then degrades to
    // transactions only. Transactions and sanctions screening are never optional.
    const joined = await ctx.parallel(
      [
        (branch) => branch.call(creditBureau, { applicantId }),
        (branch) => branch.call(transactions, { applicantId, months: 12 }),
        (branch) => branch.call(sanctions, { name: applicant.fullName }),
      ],
      { minSuccess: 2 },
    );
    const [bureau, summary, screening] = joined.results;
    if (!summary.ok) throw summary.error;
    if (!screening.ok) throw screening.error;
    const report = bureau.ok ? bureau.value : null;
    const decision = await ctx.call(scoring, { applicant, report, transactions: summary.value, sanctions: screening.value });
    return { applicantId, ...decision, bureau: report ? "ok" : "unavailable" };
  },
});
