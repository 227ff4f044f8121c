import { z } from "zod";
import { defineAgent } from "cadre";
import { bureauUrl } from "./bureau-endpoint.ts";
import type { CreditReport } from "./bureau-server.ts";
import { loadSanctionsList, screenName } from "./sanctions.ts";
import { scoreApplication } from "./scoring.ts";
import { findApplicant, openTransactionsDataset, summarizeTransactions } from "./transactions.ts";

const applicantSchema = z.object({
  id: z.string(),
  fullName: z.string(),
  country: z.string(),
  dateOfBirth: z.string(),
  annualIncomeMicros: z.number().int(),
  employmentYears: z.number().int(),
  requestedAmountMicros: z.number().int(),
});
const reportSchema = z.object({
  applicantId: z.string(),
  score: z.number().int().min(300).max(850),
  delinquencies: z.number().int().min(0),
  openAccounts: z.number().int().min(0),
  utilization: z.number().min(0).max(1),
  inquiries6m: z.number().int().min(0),
  bureau: z.literal("cadre-demo-bureau"),
});
const summarySchema = z.object({
  applicantId: z.string(),
  months: z.number().int(),
  count: z.number().int(),
  inflowMicros: z.number().int(),
  outflowMicros: z.number().int(),
  averageMonthlyIncomeMicros: z.number().int(),
  riskyCategoryShare: z.number().min(0).max(1),
  returnedPayments: z.number().int(),
  largestOutflowMicros: z.number().int(),
});
const screeningSchema = z.object({
  hit: z.boolean(),
  matches: z.array(z.object({ listedName: z.string(), matchedAlias: z.string(), score: z.number(), program: z.string() })),
});
export const decisionSchema = z.object({
  decision: z.enum(["approve", "refer", "decline"]),
  score: z.number().int().min(0).max(1000),
  reasons: z.array(z.string()).min(1),
  limitMicros: z.number().int().min(0),
});

const dataset = () => (datasetHandle ??= openTransactionsDataset());
let datasetHandle: ReturnType<typeof openTransactionsDataset> | undefined;

export const intake = defineAgent({
  name: "intake",
  owner: "credit-operations",
  purpose: "load the application record",
  dataAccess: "confidential",
  risk: "limited",
  reviewEveryDays: 180,
  input: z.object({ applicantId: z.string() }),
  output: applicantSchema,
  run: ({ applicantId }) => {
    const applicant = findApplicant(dataset(), applicantId);
    if (!applicant) throw new Error(`No application for ${applicantId} in the dataset (try A-1001 … A-1200).`);
    return applicant;
  },
});

export const creditBureau = defineAgent({
  name: "credit-bureau",
  owner: "risk-data",
  purpose: "fetch the applicant's credit report from the bureau",
  dataAccess: "confidential",
  risk: "high",
  reviewEveryDays: 90,
  timeout: 2_000,
  retry: { maxAttempts: 2, initialDelayMs: 50 },
  input: z.object({ applicantId: z.string() }),
  output: reportSchema,
  run: async ({ applicantId }, context): Promise<CreditReport> => {
    const response = await fetch(`${await bureauUrl()}/v1/reports/${encodeURIComponent(applicantId)}`, {
      signal: context.signal,
      headers: { "idempotency-key": context.idempotencyKey },
    });
    if (!response.ok) throw new Error(`credit bureau answered HTTP ${response.status}`);
    return (await response.json()) as CreditReport;
  },
});

export const transactions = defineAgent({
  name: "transactions",
  owner: "risk-data",
  purpose: "summarize 12 months of the applicant's transactions",
  dataAccess: "confidential",
  risk: "limited",
  reviewEveryDays: 180,
  input: z.object({ applicantId: z.string(), months: z.number().int().min(1).max(24).default(12) }),
  output: summarySchema,
  run: ({ applicantId, months }) => summarizeTransactions(dataset(), applicantId, { months }),
});

const sanctionsList = () => (sanctionsHandle ??= loadSanctionsList());
let sanctionsHandle: ReturnType<typeof loadSanctionsList> | undefined;

export const sanctions = defineAgent({
  name: "sanctions",
  owner: "compliance",
  purpose: "screen the applicant's name against the sanctions list",
  dataAccess: "internal",
  risk: "high",
  reviewEveryDays: 90,
  input: z.object({ name: z.string().min(1) }),
  output: screeningSchema,
  run: ({ name }) => screenName(sanctionsList(), { name }),
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
