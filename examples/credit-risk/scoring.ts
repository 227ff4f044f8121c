import type { CreditReport } from "./bureau-server.ts";
import type { ScreeningResult } from "./sanctions.ts";
import type { Applicant, TransactionSummary } from "./transactions.ts";

export type Decision = "approve" | "refer" | "decline";

export interface ScoredApplication {
  decision: Decision;
  /** 0–1000, higher is safer. */
  score: number;
  reasons: string[];
  limitMicros: number;
}

/** The policy, as named constants an auditor can read. */
export const policy = {
  approveAt: 650,
  declineBelow: 450,
  maxRiskyShare: 0.08,
  maxUtilization: 0.75,
  maxLimitIncomeMultiple: 0.4,
  /** Without a bureau report no application is approved above this limit. */
  degradedLimitMicros: 2_000_000_000,
} as const;

const dollars = (micros: number) => `$${Math.round(micros / 1_000_000).toLocaleString("en-US")}`;

/**
 * Combines the three workers' findings into a decision with reasons, each citing the
 * figure that drove it. A sanctions hit always declines; a missing bureau report degrades
 * the decision (never approve above a conservative limit) instead of failing it.
 */
export function scoreApplication(findings: {
  applicant: Applicant;
  report: CreditReport | null;
  transactions: TransactionSummary;
  sanctions: ScreeningResult;
}): ScoredApplication {
  const { applicant, report, transactions, sanctions } = findings;
  const reasons: string[] = [];
  if (sanctions.hit) {
    const top = sanctions.matches[0]!;
    return {
      decision: "decline",
      score: 0,
      limitMicros: 0,
      reasons: [`sanctions: "${applicant.fullName}" matches listed "${top.listedName}" (${top.program}) with similarity ${top.score.toFixed(2)}`],
    };
  }

  let score = report ? Math.round(((report.score - 300) / 550) * 700) : 350;
  if (report) {
    reasons.push(`bureau score ${report.score}`);
    if (report.delinquencies > 0) {
      score -= report.delinquencies * 40;
      reasons.push(`${report.delinquencies} delinquencies on file (−${report.delinquencies * 40})`);
    }
    if (report.utilization > policy.maxUtilization) {
      score -= 60;
      reasons.push(`credit utilization ${(report.utilization * 100).toFixed(0)}% above ${policy.maxUtilization * 100}% (−60)`);
    }
  } else {
    reasons.push("credit bureau unavailable: decided on transactions only, limit capped");
  }

  const monthlyIncome = transactions.averageMonthlyIncomeMicros;
  const incomePoints = Math.min(200, Math.round(monthlyIncome / 30_000_000));
  score += incomePoints;
  reasons.push(`average monthly income ${dollars(monthlyIncome)} (+${incomePoints})`);
  if (transactions.riskyCategoryShare > policy.maxRiskyShare) {
    const penalty = Math.round(transactions.riskyCategoryShare * 1000);
    score -= penalty;
    reasons.push(`${(transactions.riskyCategoryShare * 100).toFixed(1)}% of spending on gambling/cash advances (−${penalty})`);
  }
  if (transactions.returnedPayments > 0) {
    score -= transactions.returnedPayments * 50;
    reasons.push(`${transactions.returnedPayments} returned payments in ${transactions.months} months (−${transactions.returnedPayments * 50})`);
  }
  if (applicant.employmentYears >= 3) {
    score += 50;
    reasons.push(`${applicant.employmentYears} years in employment (+50)`);
  }
  score = Math.max(0, Math.min(1000, score));

  let decision: Decision = score >= policy.approveAt ? "approve" : score < policy.declineBelow ? "decline" : "refer";
  let limitMicros = decision === "decline" ? 0 : Math.min(applicant.requestedAmountMicros, Math.floor((applicant.annualIncomeMicros * policy.maxLimitIncomeMultiple) / 1_000_000) * 1_000_000);
  if (!report && decision !== "decline") {
    limitMicros = Math.min(limitMicros, policy.degradedLimitMicros);
    if (applicant.requestedAmountMicros > policy.degradedLimitMicros) decision = "refer";
  }
  return { decision, score, reasons, limitMicros };
}
