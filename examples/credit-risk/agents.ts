import { z } from "zod";
import { defineAgent, usd } from "cadre";
import { scoreApplication } from "./scoring.ts";
import { applicantSchema, applicationRecord, bureauReport, bureauTimeoutMs, reportSchema, sanctionsScreen, screeningSchema, summarySchema, transactionsQuery } from "./tools.ts";

export const decisionSchema = z.object({
  decision: z.enum(["approve", "refer", "decline"]),
  score: z.number().int().min(0).max(1000),
  reasons: z.array(z.string()).min(1),
  limitMicros: z.number().int().min(0),
});

/** Each worker holds exactly the grants it needs and its own budget: least privilege, per-agent spend. */
export const intake = defineAgent({
  name: "intake",
  owner: "credit-operations",
  purpose: "load the application record",
  dataAccess: "confidential",
  clearance: ["pii"],
  risk: "limited",
  reviewEveryDays: 180,
  tools: [applicationRecord],
  grants: [{ scope: "db:applications:read" }],
  input: z.object({ applicantId: z.string() }),
  output: applicantSchema,
  run: ({ applicantId }, context) => context.tools.call(applicationRecord, { applicantId }),
});

export const creditBureau = defineAgent({
  name: "credit-bureau",
  owner: "risk-data",
  purpose: "fetch the applicant's credit report from the bureau",
  dataAccess: "confidential",
  clearance: ["financial"],
  risk: "high",
  reviewEveryDays: 90,
  // Room for the bureau call's own timeout and the work around it.
  timeout: bureauTimeoutMs + 2_500,
  // A failing bureau is not hammered: after 3 failures in a row calls fail fast for 30 s,
  // longer than a demo run takes however busy the machine.
  circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 30_000 },
  tools: [bureauReport],
  grants: [{ scope: "bureau:read", resource: "report/*" }],
  budget: { perCall: usd(0.75), perDay: usd(50) },
  input: z.object({ applicantId: z.string() }),
  output: reportSchema,
  run: ({ applicantId }, context) => context.tools.call(bureauReport, { applicantId }),
});

export const transactions = defineAgent({
  name: "transactions",
  owner: "risk-data",
  purpose: "summarize 12 months of the applicant's transactions",
  dataAccess: "confidential",
  clearance: ["financial"],
  risk: "limited",
  reviewEveryDays: 180,
  tools: [transactionsQuery],
  grants: [{ scope: "db:transactions:read" }],
  budget: { perCall: usd(0.01) },
  input: z.object({ applicantId: z.string(), months: z.number().int().min(1).max(24).default(12) }),
  output: summarySchema,
  run: (input, context) => context.tools.call(transactionsQuery, input),
});

export const sanctions = defineAgent({
  name: "sanctions",
  owner: "compliance",
  purpose: "screen the applicant's name against the sanctions list",
  dataAccess: "internal",
  clearance: ["pii"],
  risk: "high",
  reviewEveryDays: 90,
  tools: [sanctionsScreen],
  grants: [{ scope: "sanctions:screen" }],
  budget: { perCall: usd(0.01) },
  input: z.object({ name: z.string().min(1) }),
  output: screeningSchema,
  run: (input, context) => context.tools.call(sanctionsScreen, input),
});

export const scoring = defineAgent({
  name: "scoring",
  owner: "credit-policy",
  purpose: "combine the findings into a decision with reasons",
  dataAccess: "confidential",
  risk: "high",
  reviewEveryDays: 90,
  input: z.object({ applicant: applicantSchema, report: reportSchema.nullable(), transactions: summarySchema, sanctions: screeningSchema }),
  output: decisionSchema,
  run: (findings) => scoreApplication(findings),
});

export const creditAgents = [intake, creditBureau, transactions, sanctions, scoring];
