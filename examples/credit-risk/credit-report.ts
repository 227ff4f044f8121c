import { hashString, seededRandom } from "./random.ts";

/** What the demo credit bureau returns for an applicant. */
export interface CreditReport {
  applicantId: string;
  /** 300–850, higher is safer. */
  score: number;
  delinquencies: number;
  openAccounts: number;
  /** Share of revolving credit in use, 0..1. */
  utilization: number;
  inquiries6m: number;
  bureau: "cadre-demo-bureau";
  /** ISO 8601 time the bureau produced the report. */
  generatedAt: string;
}

/**
 * The bureau's file on an applicant, derived from a hash of the id: the same applicant
 * always gets the same figures, and a lower score comes with more delinquencies, higher
 * utilization and more recent inquiries, as on a real file.
 */
export function creditReportFor(applicantId: string, generatedAt: Date = new Date()): CreditReport {
  const random = seededRandom(hashString(applicantId));
  const risk = random();
  return {
    applicantId,
    score: Math.round(850 - risk * 420 - random() * 60),
    delinquencies: risk > 0.7 ? 1 + Math.floor(random() * 4) : risk > 0.5 ? Math.floor(random() * 2) : 0,
    openAccounts: 1 + Math.floor(random() * 8),
    utilization: Number(Math.min(0.98, risk * 0.8 + random() * 0.2).toFixed(2)),
    inquiries6m: Math.floor(risk * 6 * random()),
    bureau: "cadre-demo-bureau",
    generatedAt: generatedAt.toISOString(),
  };
}
