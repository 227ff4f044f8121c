/**
 * Writes the shipped synthetic dataset: applicants.db (200 applicants, 12 months of
 * transactions each) and sanctions.csv (fictional listed persons and entities).
 * Deterministic: the same seed always yields the same files.
 * Run: node examples/credit-risk/data/generate-dataset.ts
 */
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { creditReportFor } from "../credit-report.ts";
import { hashString, seededRandom } from "../random.ts";
import { screenName, type SanctionsEntry } from "../sanctions.ts";
import {
  applicantCountries,
  applicantFamilyNames,
  applicantGivenNames,
  counterparties,
  employers,
  listedCountries,
  listedEntities,
  listedFamilyNames,
  listedGivenNames,
  sanctionsPrograms,
} from "./names.ts";

const seed = 20261122;
const applicantCount = 200;
const firstApplicantNumber = 1001;
const listedPersonCount = 280;
/** The statement covers the 12 calendar months ending with this one. */
const statementEnd = { year: 2026, month: 11 };
const statementMonths = 12;

type Profile = "steady" | "stretched" | "risky";

interface Persona {
  profile: Profile;
  name?: string;
  country?: string;
  monthlyNetUsd?: number;
  requestedUsd?: number;
  employmentYears?: number;
}

/** The applicants data/README.md documents, with the figures their story needs. */
const notableApplicants: Record<string, Persona> = {
  "A-1001": { profile: "steady", name: "Elena Moreau", country: "FR", monthlyNetUsd: 5_400, requestedUsd: 15_000, employmentYears: 9 },
  "A-1002": { profile: "risky", name: "Bruno Santoro", country: "IT", monthlyNetUsd: 2_700, requestedUsd: 12_000, employmentYears: 2 },
  "A-1003": { profile: "steady", name: "Mikhail Petrof", country: "DE", monthlyNetUsd: 4_900, requestedUsd: 20_000, employmentYears: 6 },
  "A-1004": { profile: "stretched", name: "Hanna Lindqvist", country: "SE", monthlyNetUsd: 3_900, requestedUsd: 9_000, employmentYears: 4 },
  // Near matches of listed names: two are hits, one is a near miss that must stay clean.
  "A-1057": { profile: "steady", name: "Youssef Al Rashid", country: "NL" },
  "A-1142": { profile: "stretched", name: "Karim Hadad", country: "BE" },
  "A-1088": { profile: "steady", name: "Mikhail Petrenko", country: "CZ" },
};
const expectedScreening: Record<string, boolean> = { "A-1003": true, "A-1057": true, "A-1142": true, "A-1088": false };

/** Listed persons the near-match applicants resemble. */
const designedListings: SanctionsEntry[] = [
  { name: "Mikhail Petrov", aliases: ["Michail Petrow", "PETROV Mikhail", "M. Petrov"], country: "XA", program: "FIN-SANCT-1", listedOn: "2022-03-14" },
  { name: "Karim Haddad", aliases: ["Kareem Hadad"], country: "XB", program: "ARMS-EMB-2", listedOn: "2019-07-01" },
  { name: "Yusuf Al-Rashid", aliases: ["Yousef Alrashid", "Abu Yusuf"], country: "XC", program: "TERROR-3", listedOn: "2017-05-09" },
];

const usd = (dollars: number) => Math.round(dollars * 100) * 10_000;

function randomTools(random: () => number) {
  const between = (minimum: number, maximum: number) => minimum + Math.floor(random() * (maximum - minimum + 1));
  return {
    random,
    between,
    chance: (probability: number) => random() < probability,
    pick: <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!,
    uniform: (minimum: number, maximum: number) => minimum + random() * (maximum - minimum),
    /** A dollar amount with cents, uniformly between the bounds. */
    dollars: (minimum: number, maximum: number) => Math.round((minimum + random() * (maximum - minimum)) * 100) / 100,
  };
}

// ---- sanctions list ----

function buildSanctionsList(): SanctionsEntry[] {
  const tools = randomTools(seededRandom(seed));
  const { pick, chance, between } = tools;
  const entries = [...designedListings];
  const taken = new Set(entries.map((entry) => entry.name));
  const listedOn = () => `20${between(10, 26)}-${String(between(1, 12)).padStart(2, "0")}-${String(between(1, 28)).padStart(2, "0")}`;
  const givenNames = Object.keys(listedGivenNames);
  const familyNames = Object.keys(listedFamilyNames);
  while (entries.length < designedListings.length + listedPersonCount) {
    const given = pick(givenNames);
    const family = pick(familyNames);
    const name = `${given} ${family}`;
    if (taken.has(name)) continue;
    taken.add(name);
    const aliases: string[] = [];
    const givenVariants = listedGivenNames[given]!;
    const familyVariants = listedFamilyNames[family]!;
    if ((givenVariants.length || familyVariants.length) && chance(0.55)) {
      aliases.push(`${givenVariants.length && chance(0.7) ? pick(givenVariants) : given} ${familyVariants.length && chance(0.7) ? pick(familyVariants) : family}`);
    }
    if (chance(0.35)) aliases.push(`${family.toUpperCase()} ${given}`);
    if (chance(0.15)) aliases.push(`${given[0]}. ${family}`);
    entries.push({ name, aliases: [...new Set(aliases)].filter((alias) => alias !== name), country: pick(listedCountries), program: pick(sanctionsPrograms), listedOn: listedOn() });
  }
  for (const entity of listedEntities) {
    entries.push({ name: entity, aliases: chance(0.4) ? [entity.replace(/ \w+$/, "")] : [], country: pick(listedCountries), program: pick(sanctionsPrograms), listedOn: listedOn() });
  }
  return entries;
}

// ---- applicants and transactions ----

interface Transaction {
  postedAt: string;
  amountMicros: number;
  category: string;
  counterparty: string;
}

/** Day `day` of the statement month `monthIndex` (0 = the oldest), clamped to the month's length. */
function postingDate(monthIndex: number, day: number): string {
  const month = statementEnd.month - (statementMonths - 1) + monthIndex;
  const lastDay = new Date(Date.UTC(statementEnd.year, month, 0)).getUTCDate();
  return new Date(Date.UTC(statementEnd.year, month - 1, Math.min(Math.max(day, 1), lastDay))).toISOString().slice(0, 10);
}

/** The calendar month (1–12) of statement month `monthIndex`. */
function calendarMonth(monthIndex: number): number {
  return (((statementEnd.month - statementMonths + monthIndex) % 12) + 12) % 12 + 1;
}

/** Lower bureau scores make risky behaviour likelier, so the bureau and the bank statement tell one story. */
function profileFor(applicantId: string, random: () => number): Profile {
  const score = creditReportFor(applicantId, new Date(0)).score;
  const [steady, stretched] = score >= 720 ? [0.8, 0.17] : score >= 600 ? [0.6, 0.3] : [0.35, 0.4];
  const draw = random();
  return draw < steady ? "steady" : draw < steady + stretched ? "stretched" : "risky";
}

/** Of the budget left after fixed costs, the share each everyday category takes. */
const everydaySpending = { groceries: 0.45, transport: 0.15, dining: 0.12, shopping: 0.28 };

function transactionsFor(profile: Profile, monthlyNetUsd: number, tools: ReturnType<typeof randomTools>): Transaction[] {
  const { between, chance, pick, dollars, uniform } = tools;
  const steady = profile === "steady";
  const risky = profile === "risky";
  const employer = `${pick(employers)} Payroll`;
  const payday = pick([1, 15, 25, 28]);
  const housing = steady && chance(0.35) ? "mortgage" : "rent";
  const housingCost = Math.round(monthlyNetUsd * (steady ? uniform(0.22, 0.32) : risky ? uniform(0.35, 0.5) : uniform(0.38, 0.48)));
  const landlord = housing === "mortgage" ? "Meridian Bank Mortgage" : pick(counterparties.rent!);
  const phone = { counterparty: pick(counterparties.phone!), amount: dollars(25, 60) };
  const insurance = { counterparty: pick(counterparties.insurance!), amount: dollars(90, 320) };
  const subscriptions = counterparties.subscriptions!.filter(() => chance(0.2)).map((counterparty) => ({ counterparty, amount: dollars(7, 25), day: between(3, 27) }));
  const loan = (risky && chance(0.8)) || (profile === "stretched" && chance(0.5)) ? { counterparty: pick(counterparties["loan-repayment"]!), amount: dollars(120, 400) } : undefined;
  const returnedChance = risky ? 0.3 : profile === "stretched" ? 0.06 : 0;
  // What share of take-home pay goes out again each month (gambling and advances come on top).
  const spendingShare = steady ? uniform(0.72, 0.9) : risky ? uniform(0.9, 1) : uniform(0.93, 1.02);

  const rows: Transaction[] = [];
  const add = (monthIndex: number, day: number, amount: number, category: string, counterparty: string) => rows.push({ postedAt: postingDate(monthIndex, day), amountMicros: usd(amount), category, counterparty });
  for (let month = 0; month < statementMonths; month += 1) {
    const winter = [12, 1, 2].includes(calendarMonth(month));
    if (!(risky && chance(0.08))) add(month, payday, monthlyNetUsd * uniform(0.99, 1.01), "salary", employer);
    if (steady && calendarMonth(month) === 12 && chance(0.4)) add(month, payday, monthlyNetUsd * 0.5, "salary", `${employer} (year-end bonus)`);

    let fixedCosts = 0;
    const addFixed = (day: number, amount: number, category: string, counterparty: string) => {
      fixedCosts += amount;
      add(month, day, -amount, category, counterparty);
    };
    addFixed(between(1, 3), housingCost, housing, landlord);
    addFixed(between(5, 10), dollars(60, 140) * (winter ? 1.4 : 1), "utilities", pick(counterparties.utilities!));
    addFixed(between(12, 16), phone.amount, "phone", phone.counterparty);
    if (month % 3 === 0) addFixed(20, insurance.amount, "insurance", insurance.counterparty);
    for (const subscription of subscriptions) addFixed(subscription.day, subscription.amount, "subscriptions", subscription.counterparty);
    if (loan) addFixed(10, loan.amount, "loan-repayment", loan.counterparty);

    const everydayBudget = Math.max(monthlyNetUsd * 0.1, monthlyNetUsd * spendingShare - fixedCosts);
    const shops = between(1, 2);
    const eatsOut = chance(0.5);
    const shopsElsewhere = chance(0.6);
    // A category skipped this month leaves its money to groceries, so the month's total holds.
    const groceries = everydayBudget * (everydaySpending.groceries + (eatsOut ? 0 : everydaySpending.dining) + (shopsElsewhere ? 0 : everydaySpending.shopping));
    for (let shop = 0; shop < shops; shop += 1) add(month, between(1, 28), -(groceries / shops) * uniform(0.85, 1.15), "groceries", pick(counterparties.groceries!));
    add(month, between(1, 28), -everydayBudget * everydaySpending.transport * uniform(0.8, 1.2), "transport", pick(counterparties.transport!));
    if (eatsOut) add(month, between(1, 28), -everydayBudget * everydaySpending.dining * uniform(0.8, 1.2), "dining", pick(counterparties.dining!));
    if (shopsElsewhere) add(month, between(1, 28), -everydayBudget * everydaySpending.shopping * uniform(0.8, 1.2), "shopping", pick(counterparties.shopping!));
    if (chance(steady ? 0.1 : 0.05)) add(month, between(1, 28), -dollars(400, 1_500), "shopping", pick(counterparties["large-purchase"]!));

    if (loan && chance(returnedChance)) {
      // The bank reverses the unpaid debit and charges a fee: the classic sign of a bounced payment.
      add(month, 12, loan.amount, "returned-payment", loan.counterparty);
      add(month, 12, -35, "bank-fees", "Returned item fee");
    }
    if (risky) {
      for (let bet = between(2, 5); bet > 0; bet -= 1) add(month, between(1, 28), -dollars(20, 250), "gambling", pick(counterparties.gambling!));
      if (chance(0.25)) add(month, between(1, 28), dollars(50, 600), "gambling", pick(counterparties.gambling!));
    } else if (profile === "stretched" && chance(0.25)) {
      add(month, between(1, 28), -dollars(10, 60), "gambling", pick(counterparties.gambling!));
    }
    if (chance(risky ? 0.55 : profile === "stretched" ? 0.12 : 0)) {
      const lender = pick(counterparties["cash-advance"]!);
      const principal = between(4, 14) * 50;
      const day = between(1, 12);
      add(month, day, principal, "cash-advance", lender);
      add(month, day + 14, -principal * 1.18, "cash-advance", lender);
    }
    if (chance(risky ? 0.3 : profile === "stretched" ? 0.1 : 0)) add(month, between(20, 28), -dollars(15, 40), "bank-fees", "Overdraft fee");
  }
  return rows.sort((left, right) => left.postedAt.localeCompare(right.postedAt));
}

// ---- write ----

const sanctionsList = buildSanctionsList();
const here = import.meta.dirname;
const databasePath = join(here, "applicants.db");
if (existsSync(databasePath)) rmSync(databasePath);
const db = new BetterSqlite3(databasePath);
db.exec(`
  create table applicants (
    id text primary key,
    full_name text not null,
    country text not null,
    date_of_birth text not null,
    annual_income_micros integer not null check (annual_income_micros >= 0),
    employment_years integer not null check (employment_years >= 0),
    requested_amount_micros integer not null check (requested_amount_micros > 0)
  );
  create table transactions (
    id integer primary key,
    applicant_id text not null references applicants(id),
    posted_at text not null,
    amount_micros integer not null,
    category text not null,
    counterparty text not null
  );
  create index transactions_by_applicant on transactions(applicant_id, posted_at);
`);
const insertApplicant = db.prepare("insert into applicants values (?, ?, ?, ?, ?, ?, ?)");
const insertTransaction = db.prepare("insert into transactions (applicant_id, posted_at, amount_micros, category, counterparty) values (?, ?, ?, ?, ?)");
const usedNames = new Set(Object.values(notableApplicants).map((persona) => persona.name));
const screened: Record<string, boolean> = {};

db.transaction(() => {
  for (let number = firstApplicantNumber; number < firstApplicantNumber + applicantCount; number += 1) {
    const id = `A-${number}`;
    // One stream per applicant: changing one applicant leaves the others as they were.
    const tools = randomTools(seededRandom(hashString(`${seed}:${id}`)));
    const { between, pick } = tools;
    const persona: Persona = notableApplicants[id] ?? { profile: profileFor(id, tools.random) };
    const country = persona.country ?? pick(applicantCountries);
    let name = persona.name;
    while (!name) {
      const candidate = `${pick(applicantGivenNames)} ${pick(applicantFamilyNames)}`;
      // Only the designed near matches may resemble a listed name.
      if (!usedNames.has(candidate) && !screenName(sanctionsList, { name: candidate, country }).hit) name = candidate;
    }
    usedNames.add(name);
    screened[id] = screenName(sanctionsList, { name, country }).hit;
    const { profile } = persona;
    const monthlyNetUsd = persona.monthlyNetUsd ?? (profile === "steady" ? between(3_200, 7_500) : profile === "stretched" ? between(2_200, 3_600) : between(1_600, 3_200));
    const declaredGrossUsd = Math.round((monthlyNetUsd * 12) / 0.72 / 1_000) * 1_000;
    const employmentYears = persona.employmentYears ?? (profile === "steady" ? between(2, 25) : profile === "stretched" ? between(0, 10) : between(0, 6));
    const requestedUsd = persona.requestedUsd ?? between(profile === "steady" ? 6 : 4, profile === "steady" ? 80 : 40) * 500;
    const dateOfBirth = `${between(1956, 2004)}-${String(between(1, 12)).padStart(2, "0")}-${String(between(1, 28)).padStart(2, "0")}`;
    insertApplicant.run(id, name, country, dateOfBirth, usd(declaredGrossUsd), employmentYears, usd(requestedUsd));
    for (const row of transactionsFor(profile, monthlyNetUsd, tools)) insertTransaction.run(id, row.postedAt, row.amountMicros, row.category, row.counterparty);
  }
})();
db.exec("vacuum");
const transactionCount = (db.prepare("select count(*) as count from transactions").get() as { count: number }).count;
db.close();

for (const [id, expected] of Object.entries(expectedScreening)) {
  if (screened[id] !== expected) throw new Error(`${id} screened ${screened[id] ? "as a hit" : "clean"}, the README says otherwise: adjust the designed names.`);
}
const hits = Object.entries(screened).filter(([, hit]) => hit).map(([id]) => id);

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csv = ["name,aliases,country,program,listed_on", ...sanctionsList.map((entry) => [entry.name, entry.aliases.join(";"), entry.country, entry.program, entry.listedOn].map(csvField).join(","))];
writeFileSync(join(here, "sanctions.csv"), `${csv.join("\n")}\n`);
console.log(
  `wrote ${databasePath} (${applicantCount} applicants, ${transactionCount} transactions, ${(statSync(databasePath).size / 1e6).toFixed(1)} MB) and sanctions.csv (${sanctionsList.length} listed names); sanctions hits: ${hits.join(", ")}`,
);
