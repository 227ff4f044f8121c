import type { CreditReport } from "./credit-report.ts";
import type { ScreeningResult } from "./sanctions.ts";
import type { Applicant, TransactionSummary } from "./transactions.ts";

export type Decision = "approve" | "refer" | "decline";

/** The decision with the score behind it and one reason per figure that moved it. */
export interface ScoredApplication {
  decision: Decision;
  /** 0–1000, higher is safer. */
  score: number;
  reasons: string[];
  /** The credit line offered (for "refer", the line a reviewer may grant); 0 on decline. */
  limitMicros: number;
}

/** The figures scoring reads from a bureau report; `generatedAt` and the like may be absent. */
export type BureauFigures = Pick<CreditReport, "applicantId" | "score" | "delinquencies" | "utilization" | "inquiries6m">;

const usd = 1_000_000;

/** The credit policy as named constants an auditor can read. Points add up to a 0–1000 score. */
export const scoringPolicy = {
  approveAtOrAbove: 620,
  declineBelow: 400,
  /** A bureau score of 300 earns 0 points, 850 earns this many. */
  bureauPointsAtBest: 600,
  /** Where an application without a bureau report starts: below an average bureau file. */
  pointsWithoutBureau: 380,
  pointsPerDelinquency: 30,
  maximumUtilization: 0.75,
  highUtilizationPoints: 40,
  maximumInquiries6m: 3,
  manyInquiriesPoints: 30,
  /** Monthly income earning the full income points; less earns proportionally fewer. */
  monthlyIncomeForFullPointsMicros: 6_000 * usd,
  incomePointsAtBest: 200,
  /** Keeping this share of inflows (inflow − outflow) shows headroom. */
  healthySavingsRate: 0.1,
  savingsPoints: 50,
  deficitPoints: 80,
  /** Gambling and cash advances above this share of spending cost 10 points per percent. */
  maximumRiskyShare: 0.05,
  pointsPerRiskyPercent: 10,
  pointsPerReturnedPayment: 50,
  stableEmploymentYears: 3,
  stableEmploymentPoints: 50,
  newEmploymentYears: 1,
  newEmploymentPoints: 30,
  /** Asking for more than this share of a year's observed income strains affordability. */
  maximumRequestToIncome: 0.5,
  unaffordableRequestPoints: 60,
  /** The line never exceeds this share of verified annual income (the lower of declared and observed). */
  limitShareOfIncome: 0.4,
  limitRoundingMicros: 100 * usd,
  /** Without a bureau report nothing is approved above this line. */
  limitWithoutBureauMicros: 2_000 * usd,
} as const;

/**
 * Combines the findings into a decision with reasons, each citing the figure that drove
 * it. A sanctions hit always declines. A missing bureau report (`report: null`) degrades
 * the decision instead of failing it: transactions only, a lower starting score, and no
 * approval above `limitWithoutBureauMicros`, so most such applications are referred.
 */
export function scoreApplication(findings: {
  applicant: Applicant;
  report: BureauFigures | null;
  transactions: TransactionSummary;
  sanctions: ScreeningResult;
}): ScoredApplication {
  const { applicant, report, transactions, sanctions } = findings;
  const policy = scoringPolicy;
  for (const [source, applicantId] of [["bureau report", report?.applicantId], ["transaction summary", transactions.applicantId]] as const) {
    if (applicantId !== undefined && applicantId !== applicant.id) throw new Error(`The ${source} is for ${applicantId}, not ${applicant.id}.`);
  }

  if (sanctions.hit) {
    const hit = sanctions.matches[0];
    const cited = hit ? `matches listed "${hit.listedName}"${hit.matchedAlias !== hit.listedName ? ` (as "${hit.matchedAlias}")` : ""}, program ${hit.program}, similarity ${hit.score.toFixed(2)}` : "is on the sanctions list";
    return { decision: "decline", score: 0, limitMicros: 0, reasons: [`sanctions: "${applicant.fullName}" ${cited}; declined whatever the other figures say`] };
  }

  const reasons: string[] = [];
  let score: number;
  if (report) {
    score = Math.round(((report.score - 300) / 550) * policy.bureauPointsAtBest);
    reasons.push(`bureau score ${report.score} of 850 (${score} points)`);
    if (report.delinquencies > 0) {
      const points = report.delinquencies * policy.pointsPerDelinquency;
      score -= points;
      reasons.push(`${report.delinquencies} delinquencies on the bureau file (−${points})`);
    }
    if (report.utilization > policy.maximumUtilization) {
      score -= policy.highUtilizationPoints;
      reasons.push(`credit utilization ${percent(report.utilization)} above ${percent(policy.maximumUtilization)} (−${policy.highUtilizationPoints})`);
    }
    if (report.inquiries6m > policy.maximumInquiries6m) {
      score -= policy.manyInquiriesPoints;
      reasons.push(`${report.inquiries6m} credit inquiries in 6 months, more than ${policy.maximumInquiries6m} (−${policy.manyInquiriesPoints})`);
    }
  } else {
    score = policy.pointsWithoutBureau;
    reasons.push(`credit bureau unavailable: decided on transactions only from ${score} points, no approval above ${dollars(policy.limitWithoutBureauMicros)}`);
  }

  const monthlyIncome = transactions.averageMonthlyIncomeMicros;
  const incomePoints = Math.round(Math.min(1, monthlyIncome / policy.monthlyIncomeForFullPointsMicros) * policy.incomePointsAtBest);
  score += incomePoints;
  reasons.push(`average monthly income ${dollars(monthlyIncome)} over ${transactions.months} months (+${incomePoints})`);

  const net = transactions.inflowMicros - transactions.outflowMicros;
  const savingsRate = transactions.inflowMicros > 0 ? net / transactions.inflowMicros : 0;
  if (net < 0) {
    score -= policy.deficitPoints;
    reasons.push(`spent ${dollars(-net)} more than came in over ${transactions.months} months (−${policy.deficitPoints})`);
  } else if (savingsRate >= policy.healthySavingsRate) {
    score += policy.savingsPoints;
    reasons.push(`kept ${percent(savingsRate)} of inflows (${dollars(net)}) over ${transactions.months} months (+${policy.savingsPoints})`);
  }

  if (transactions.riskyCategoryShare > policy.maximumRiskyShare) {
    const points = Math.round(transactions.riskyCategoryShare * 100 * policy.pointsPerRiskyPercent);
    score -= points;
    reasons.push(`${percent(transactions.riskyCategoryShare, 1)} of spending on gambling and cash advances, above ${percent(policy.maximumRiskyShare)} (−${points})`);
  }
  if (transactions.returnedPayments > 0) {
    const points = transactions.returnedPayments * policy.pointsPerReturnedPayment;
    score -= points;
    reasons.push(`${transactions.returnedPayments} returned payments in ${transactions.months} months (−${points})`);
  }

  if (applicant.employmentYears >= policy.stableEmploymentYears) {
    score += policy.stableEmploymentPoints;
    reasons.push(`${applicant.employmentYears} years in employment (+${policy.stableEmploymentPoints})`);
  } else if (applicant.employmentYears < policy.newEmploymentYears) {
    score -= policy.newEmploymentPoints;
    reasons.push(`less than ${policy.newEmploymentYears} year in employment (−${policy.newEmploymentPoints})`);
  }

  const observedAnnualIncome = monthlyIncome * 12;
  if (applicant.requestedAmountMicros > observedAnnualIncome * policy.maximumRequestToIncome) {
    score -= policy.unaffordableRequestPoints;
    reasons.push(`requested ${dollars(applicant.requestedAmountMicros)} is over ${percent(policy.maximumRequestToIncome)} of a year's observed income ${dollars(observedAnnualIncome)} (−${policy.unaffordableRequestPoints})`);
  }

  score = Math.max(0, Math.min(1000, Math.round(score)));
  let decision: Decision = score >= policy.approveAtOrAbove ? "approve" : score < policy.declineBelow ? "decline" : "refer";
  if (decision === "decline") return { decision, score, reasons, limitMicros: 0 };

  const verifiedIncome = Math.min(applicant.annualIncomeMicros, observedAnnualIncome);
  const affordable = Math.floor((verifiedIncome * policy.limitShareOfIncome) / policy.limitRoundingMicros) * policy.limitRoundingMicros;
  let limitMicros = Math.min(applicant.requestedAmountMicros, affordable);
  if (limitMicros < applicant.requestedAmountMicros) reasons.push(`line capped at ${dollars(limitMicros)}: ${percent(policy.limitShareOfIncome)} of verified annual income ${dollars(verifiedIncome)}`);
  if (!report) {
    if (decision === "approve" && applicant.requestedAmountMicros > policy.limitWithoutBureauMicros) {
      decision = "refer";
      reasons.push(`referred: ${dollars(applicant.requestedAmountMicros)} requested is above the ${dollars(policy.limitWithoutBureauMicros)} that may be approved without a bureau report`);
    }
    limitMicros = Math.min(limitMicros, policy.limitWithoutBureauMicros);
  }
  return { decision, score, reasons, limitMicros };
}

function dollars(micros: number): string {
  return `$${Math.round(micros / usd).toLocaleString("en-US")}`;
}

function percent(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}
