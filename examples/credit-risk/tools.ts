import { z } from "zod";
import { defineTool, usd } from "cadre";
import { bureauUrl } from "./bureau-endpoint.ts";
import type { CreditReport } from "./bureau-server.ts";
import { loadSanctionsList, screenName } from "./sanctions.ts";
import { findApplicant, openTransactionsDataset, summarizeTransactions } from "./transactions.ts";

export const reportSchema = z.object({
  applicantId: z.string(),
  score: z.number().int().min(300).max(850),
  delinquencies: z.number().int().min(0),
  openAccounts: z.number().int().min(0),
  utilization: z.number().min(0).max(1),
  inquiries6m: z.number().int().min(0),
  bureau: z.literal("cadre-demo-bureau"),
});
export const applicantSchema = z.object({
  id: z.string(),
  fullName: z.string(),
  country: z.string(),
  dateOfBirth: z.string(),
  annualIncomeMicros: z.number().int(),
  employmentYears: z.number().int(),
  requestedAmountMicros: z.number().int(),
});
export const summarySchema = z.object({
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
export const screeningSchema = z.object({
  hit: z.boolean(),
  matches: z.array(z.object({ listedName: z.string(), matchedAlias: z.string(), score: z.number(), program: z.string() })),
});

let dataset: ReturnType<typeof openTransactionsDataset> | undefined;
let sanctionsList: ReturnType<typeof loadSanctionsList> | undefined;

/** How long one bureau call may take: 1.5 s, or CADRE_BUREAU_TIMEOUT_MS (a test on a busy machine gives it longer). */
export const bureauTimeoutMs = Number(process.env.CADRE_BUREAU_TIMEOUT_MS) || 1_500;

/** The paid bureau API: $0.50 a report. The idempotency key stops a retried call being billed twice. */
export const bureauReport = defineTool({
  name: "bureau-report",
  description: "fetch a credit report from the bureau",
  input: z.object({ applicantId: z.string() }),
  output: reportSchema,
  scope: "bureau:read",
  resource: ({ applicantId }) => `report/${applicantId}`,
  price: usd(0.5),
  dataClass: "financial",
  timeout: bureauTimeoutMs,
  run: async ({ applicantId }, context): Promise<CreditReport> => {
    const response = await fetch(`${await bureauUrl()}/v1/reports/${encodeURIComponent(applicantId)}`, {
      signal: context.signal,
      headers: { "idempotency-key": context.idempotencyKey },
    });
    if (!response.ok) throw new Error(`credit bureau answered HTTP ${response.status}`);
    return (await response.json()) as CreditReport;
  },
});

export const applicationRecord = defineTool({
  name: "application-record",
  description: "read one application from the applications database",
  input: z.object({ applicantId: z.string() }),
  output: applicantSchema,
  scope: "db:applications:read",
  price: usd(0.0005),
  dataClass: "pii",
  run: ({ applicantId }) => {
    const applicant = findApplicant((dataset ??= openTransactionsDataset()), applicantId);
    if (!applicant) throw new Error(`No application for ${applicantId} in the dataset (try A-1001 … A-1200).`);
    return applicant;
  },
});

export const transactionsQuery = defineTool({
  name: "transactions-query",
  description: "aggregate an applicant's transactions over the last months",
  input: z.object({ applicantId: z.string(), months: z.number().int().min(1).max(24) }),
  output: summarySchema,
  scope: "db:transactions:read",
  price: usd(0.001),
  dataClass: "financial",
  run: ({ applicantId, months }) => summarizeTransactions((dataset ??= openTransactionsDataset()), applicantId, { months }),
});

export const sanctionsScreen = defineTool({
  name: "sanctions-screen",
  description: "fuzzy-match a name against the sanctions list",
  input: z.object({ name: z.string().min(1) }),
  output: screeningSchema,
  scope: "sanctions:screen",
  price: usd(0.002),
  dataClass: "pii",
  run: ({ name }) => screenName((sanctionsList ??= loadSanctionsList()), { name }),
});
