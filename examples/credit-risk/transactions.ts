import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";

/** The shipped synthetic dataset (see data/README.md). */
export const defaultDatasetPath = join(import.meta.dirname, "data/applicants.db");

/** Spending that signals credit stress: betting and payday-style cash advances. */
export const riskyCategories = ["gambling", "cash-advance"] as const;
/** Inflows that count as earned income (transfers, winnings and advances do not). */
export const incomeCategories = ["salary"] as const;

/** One application, as stored in the `applicants` table. */
export interface Applicant {
  id: string;
  fullName: string;
  country: string;
  dateOfBirth: string;
  annualIncomeMicros: number;
  employmentYears: number;
  requestedAmountMicros: number;
}

/** An applicant's account activity over the last `months` months; money in micro-USD. */
export interface TransactionSummary {
  applicantId: string;
  months: number;
  count: number;
  inflowMicros: number;
  outflowMicros: number;
  /** Earned income (salary) over the window, divided by `months`. */
  averageMonthlyIncomeMicros: number;
  /** Share of outflows spent on risky categories, 0..1. */
  riskyCategoryShare: number;
  /** Debits the bank returned unpaid. */
  returnedPayments: number;
  largestOutflowMicros: number;
}

/** Opens the dataset read-only: whoever summarizes transactions can look, never write. */
export function openTransactionsDataset(path = defaultDatasetPath): BetterSqlite3.Database {
  return new BetterSqlite3(path, { readonly: true, fileMustExist: true });
}

/** Every applicant id in the dataset, in order. */
export function listApplicantIds(db: BetterSqlite3.Database): string[] {
  return (db.prepare("select id from applicants order by id").all() as Array<{ id: string }>).map((row) => row.id);
}

/** One application by id, or undefined. */
export function findApplicant(db: BetterSqlite3.Database, applicantId: string): Applicant | undefined {
  return db
    .prepare(
      `select id, full_name as fullName, country, date_of_birth as dateOfBirth, annual_income_micros as annualIncomeMicros,
              employment_years as employmentYears, requested_amount_micros as requestedAmountMicros
       from applicants where id = ?`,
    )
    .get(applicantId) as Applicant | undefined;
}

/** The dataset's statement date: its latest posting. Windows end here, so results do not drift with the clock. */
export function latestPostingDate(db: BetterSqlite3.Database): string {
  let latest = latestPostingByDataset.get(db);
  if (latest === undefined) {
    const row = db.prepare("select max(posted_at) as latest from transactions").get() as { latest: string | null };
    if (!row.latest) throw new Error("The dataset has no transactions.");
    latest = row.latest;
    // Safe to remember: the dataset is opened read-only.
    if (db.readonly) latestPostingByDataset.set(db, latest);
  }
  return latest;
}

const latestPostingByDataset = new WeakMap<BetterSqlite3.Database, string>();

/**
 * Aggregates an applicant's transactions over the `months` months up to `asOf` (default:
 * the dataset's latest posting), in one SQL query.
 */
export function summarizeTransactions(db: BetterSqlite3.Database, applicantId: string, options: { months?: number; asOf?: string } = {}): TransactionSummary {
  const months = options.months ?? 12;
  if (!Number.isInteger(months) || months < 1) throw new Error(`months must be a whole number of at least 1, got ${months}`);
  const asOf = options.asOf ?? latestPostingDate(db);
  const risky = riskyCategories.map(() => "?").join(", ");
  const income = incomeCategories.map(() => "?").join(", ");
  const row = db
    .prepare(
      `select count(*) as count,
              coalesce(sum(case when amount_micros > 0 then amount_micros end), 0) as inflow,
              coalesce(-sum(case when amount_micros < 0 then amount_micros end), 0) as outflow,
              coalesce(-sum(case when amount_micros < 0 and category in (${risky}) then amount_micros end), 0) as riskyOutflow,
              coalesce(sum(case when amount_micros > 0 and category in (${income}) then amount_micros end), 0) as income,
              count(case when category = 'returned-payment' then 1 end) as returned,
              coalesce(-min(case when amount_micros < 0 then amount_micros end), 0) as largestOutflow
       from transactions
       where applicant_id = ? and posted_at > date(?, ?) and posted_at <= ?`,
    )
    .get(...riskyCategories, ...incomeCategories, applicantId, asOf, `-${months} months`, asOf) as Record<
    "count" | "inflow" | "outflow" | "riskyOutflow" | "income" | "returned" | "largestOutflow",
    number
  >;
  return {
    applicantId,
    months,
    count: row.count,
    inflowMicros: row.inflow,
    outflowMicros: row.outflow,
    averageMonthlyIncomeMicros: Math.round(row.income / months),
    riskyCategoryShare: row.outflow > 0 ? Number((row.riskyOutflow / row.outflow).toFixed(4)) : 0,
    returnedPayments: row.returned,
    largestOutflowMicros: row.largestOutflow,
  };
}
