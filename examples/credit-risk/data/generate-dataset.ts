/**
 * Writes the shipped synthetic dataset: applicants.db (applicants + 12 months of
 * transactions) and sanctions.csv. Deterministic: the same seed always yields the same files.
 * Run: node examples/credit-risk/data/generate-dataset.ts
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { seededRandom } from "../random.ts";
import { countries, familyNames, givenNames, programs, sanctionedCountries } from "./names.ts";

const here = import.meta.dirname;
const random = seededRandom(20261122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const usd = (dollars: number) => Math.round(dollars * 100) * 10_000;

type Profile = "steady" | "stretched" | "risky";

/** Applicants the README and the demo talk about, with a fixed profile. */
const notable: Record<string, { profile: Profile; name?: string; country?: string }> = {
  "A-1001": { profile: "steady", name: "Elena Moreau", country: "FR" },
  "A-1002": { profile: "risky", name: "Bruno Santoro", country: "IT" },
  "A-1003": { profile: "steady", name: "Mikhail Petrof", country: "DE" },
  "A-1004": { profile: "stretched", name: "Hanna Lindqvist", country: "SE" },
};

const sanctions: Array<{ name: string; aliases: string[]; country: string; program: string; listedOn: string }> = [
  { name: "Mikhail Petrov", aliases: ["Michail Petrow", "M. Petrov"], country: "XA", program: "FIN-SANCT-1", listedOn: "2022-03-14" },
  { name: "Karim Haddad", aliases: ["Kareem Hadad"], country: "XB", program: "ARMS-EMB-2", listedOn: "2019-07-01" },
];
for (let index = 0; index < 300; index += 1) {
  const name = `${pick(givenNames)} ${pick(familyNames)}`;
  if (sanctions.some((entry) => entry.name === name) || Object.values(notable).some((entry) => entry.name === name)) continue;
  const [given, family] = name.split(" ") as [string, string];
  sanctions.push({
    name,
    aliases: random() < 0.4 ? [`${family} ${given}`, `${given[0]}. ${family}`] : [],
    country: pick(sanctionedCountries),
    program: pick(programs),
    listedOn: `20${between(10, 25)}-${String(between(1, 12)).padStart(2, "0")}-${String(between(1, 28)).padStart(2, "0")}`,
  });
}
const sanctionedNames = new Set(sanctions.map((entry) => entry.name));

const databasePath = join(here, "applicants.db");
if (existsSync(databasePath)) rmSync(databasePath);
const db = new BetterSqlite3(databasePath);
db.exec(`
  create table applicants (
    id text primary key, full_name text not null, country text not null, date_of_birth text not null,
    annual_income_micros integer not null, employment_years integer not null, requested_amount_micros integer not null,
    profile text not null
  );
  create table transactions (
    id integer primary key, applicant_id text not null references applicants(id), posted_at text not null,
    amount_micros integer not null, category text not null, counterparty text not null
  );
  create index transactions_by_applicant on transactions(applicant_id, posted_at);
`);
const insertApplicant = db.prepare("insert into applicants values (?, ?, ?, ?, ?, ?, ?, ?)");
const insertTransaction = db.prepare("insert into transactions (applicant_id, posted_at, amount_micros, category, counterparty) values (?, ?, ?, ?, ?)");
const day = (monthsAgo: number, dayOfMonth: number) => {
  const date = new Date(Date.UTC(2026, 10 - monthsAgo, Math.min(dayOfMonth, 28)));
  return date.toISOString().slice(0, 10);
};

db.transaction(() => {
  for (let index = 0; index < 200; index += 1) {
    const id = `A-${1001 + index}`;
    const fixed = notable[id];
    const profile: Profile = fixed?.profile ?? (random() < 0.6 ? "steady" : random() < 0.6 ? "stretched" : "risky");
    let name = fixed?.name ?? `${pick(givenNames)} ${pick(familyNames)}`;
    while (!fixed && sanctionedNames.has(name)) name = `${pick(givenNames)} ${pick(familyNames)}`;
    const monthlySalary = profile === "steady" ? between(3800, 7500) : profile === "stretched" ? between(2400, 3800) : between(1500, 3000);
    insertApplicant.run(
      id,
      name,
      fixed?.country ?? pick(countries),
      `19${between(55, 99)}-${String(between(1, 12)).padStart(2, "0")}-${String(between(1, 28)).padStart(2, "0")}`,
      usd(monthlySalary * 12),
      profile === "steady" ? between(3, 25) : between(0, 6),
      usd(between(5, 60) * 1000),
      profile,
    );
    const rent = Math.round(monthlySalary * (profile === "steady" ? 0.3 : 0.45));
    for (let month = 11; month >= 0; month -= 1) {
      insertTransaction.run(id, day(month, 1), usd(monthlySalary), "salary", "Employer Payroll");
      insertTransaction.run(id, day(month, 2), -usd(rent), "rent", "Landlord");
      const purchases = between(4, 9);
      for (let purchase = 0; purchase < purchases; purchase += 1) {
        insertTransaction.run(id, day(month, between(3, 28)), -usd(between(20, 140)), pick(["groceries", "transport", "utilities", "dining", "shopping"]), pick(["Market", "Metro", "Power Co", "Bistro", "Shop"]));
      }
      if (profile !== "steady") {
        const risky = profile === "risky" ? between(2, 5) : between(0, 1);
        for (let entry = 0; entry < risky; entry += 1) {
          insertTransaction.run(id, day(month, between(3, 28)), -usd(between(50, profile === "risky" ? 600 : 150)), pick(["gambling", "cash-advance"]), pick(["Lucky Bet", "QuickCash"]));
        }
        if (profile === "risky" && random() < 0.35) insertTransaction.run(id, day(month, between(5, 25)), 0, "returned-payment", "Loan Servicer");
      }
    }
  }
})();
db.exec("vacuum");
db.close();

const csv = ["name,aliases,country,program,listed_on", ...sanctions.map((entry) => [entry.name, entry.aliases.join(";"), entry.country, entry.program, entry.listedOn].join(","))];
writeFileSync(join(here, "sanctions.csv"), `${csv.join("\n")}\n`);
console.log(`wrote ${databasePath} and sanctions.csv (${sanctions.length} listed names)`);
