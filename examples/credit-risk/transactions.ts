import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";

export const defaultDatasetPath = join(import.meta.dirname, "data/applicants.db");

export interface Applicant {
  id: string;
  fullName: string;
  country: string;
  dateOfBirth: string;
  annualIncomeMicros: number;
  employmentYears: number;
  requestedAmountMicros: number;
}

export interface TransactionSummary {
  applicantId: string;
  months: number;
  count: number;
  inflowMicros: number;
  outflowMicros: number;
  averageMonthlyIncomeMicros: number;
  /** Share of outflows spent on gambling and cash advances, 0..1. */
  riskyCategoryShare: number;
  returnedPayments: number;
  largestOutflowMicros: number;
}

const riskyCategories = ["gambling", "cash-advance"];

/** Opens the shipped dataset read-only: the transactions agent can look, never write. */
export function openTransactionsDataset(path = defaultDatasetPath): BetterSqlite3.Database {
  return new BetterSqlite3(path, { readonly: true, fileMustExist: true });
}

export function findApplicant(db: BetterSqlite3.Database, applicantId: string): Applicant | undefined {
  return db
    .prepare(
      `select id, full_name as fullName, country, date_of_birth as dateOfBirth, annual_income_micros as annualIncomeMicros,
              employment_years as employmentYears, requested_amount_micros as requestedAmountMicros
       from applicants where id = ?`,
    )
    .get(applicantId) as Applicant | undefined;
}

/** Aggregates the last `months` months of an applicant's transactions in SQL. */
export function summarizeTransactions(db: BetterSqlite3.Database, applicantId: string, options: { months?: number; asOf?: string } = {}): TransactionSummary {
  const months = options.months ?? 12;
  const asOf = options.asOf ?? "2026-11-30";
  const row = db
    .prepare(
      `select count(*) as count,
              coalesce(sum(case when amount_micros > 0 then amount_micros end), 0) as inflow,
              coalesce(-sum(case when amount_micros < 0 then amount_micros end), 0) as outflow,
              coalesce(-sum(case when amount_micros < 0 and category in (${riskyCategories.map(() => "?").join(", ")}) then amount_micros end), 0) as risky,
              coalesce(sum(case when category = 'salary' then amount_micros end), 0) as salary,
              coalesce(sum(category = 'returned-payment'), 0) as returned,
              coalesce(-min(amount_micros), 0) as largest
       from transactions
       where applicant_id = ? and posted_at > date(?, ?)`,
    )
    .get(...riskyCategories, applicantId, asOf, `-${months} months`) as Record<string, number>;
  return {
    applicantId,
    months,
    count: row.count!,
    inflowMicros: row.inflow!,
    outflowMicros: row.outflow!,
    averageMonthlyIncomeMicros: Math.round(row.salary! / months),
    riskyCategoryShare: row.outflow! > 0 ? Number((row.risky! / row.outflow!).toFixed(4)) : 0,
    returnedPayments: row.returned!,
    largestOutflowMicros: Math.max(0, row.largest!),
  };
}
