import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../helpers/crash.ts";
import { startBureauServer, type BureauServer, type BureauServerOptions } from "../../examples/credit-risk/bureau-server.ts";
import { creditReportFor, type CreditReport } from "../../examples/credit-risk/credit-report.ts";
import { jaroWinkler, nameSimilarity, normalizeName, tokenSetSimilarity, tokenSortSimilarity } from "../../examples/credit-risk/name-matching.ts";
import { loadSanctionsList, reportingFloor, screenName, type SanctionsEntry } from "../../examples/credit-risk/sanctions.ts";
import { scoreApplication, scoringPolicy, type ScoredApplication } from "../../examples/credit-risk/scoring.ts";
import {
  defaultDatasetPath,
  findApplicant,
  latestPostingDate,
  listApplicantIds,
  openTransactionsDataset,
  summarizeTransactions,
  type Applicant,
  type TransactionSummary,
} from "../../examples/credit-risk/transactions.ts";

const dataset = openTransactionsDataset();
const sanctionsList = loadSanctionsList();
afterAll(() => dataset.close());

async function withBureau(options: BureauServerOptions, use: (bureau: BureauServer) => Promise<void>): Promise<void> {
  const bureau = await startBureauServer(options);
  try {
    await use(bureau);
  } finally {
    await bureau.close();
  }
}

/**
 * Fetches and says how long the bureau chose to wait (its Server-Timing header) and how long
 * the client waited. A busy machine only adds to the wait, so only `elapsedMs >= latencyMs`
 * holds everywhere; the range is checked on the latency the server drew.
 */
async function timedFetch(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; elapsedMs: number; latencyMs: number }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  const latencyMs = Number(/latency;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN);
  return { status: response.status, body, headers: response.headers, elapsedMs: performance.now() - started, latencyMs };
}

/** Timers fire at whole milliseconds: allow the wait to round down by one. */
function expectWaitedAtLeast(elapsedMs: number, latencyMs: number): void {
  expect(elapsedMs).toBeGreaterThanOrEqual(Math.floor(latencyMs) - 1);
}

function withoutTimestamp(report: Record<string, unknown> | CreditReport): Record<string, unknown> {
  const { generatedAt: _generatedAt, ...figures } = report;
  return figures;
}

describe("bureau server", () => {
  it("listens on 127.0.0.1 and answers within the configured latency range", async () => {
    await withBureau({ latencyMs: [60, 120] }, async (bureau) => {
      expect(bureau.url).toBe(`http://127.0.0.1:${bureau.port}`);
      for (const applicantId of ["A-1001", "A-1002", "A-1003", "A-1004", "A-1005"]) {
        const { status, elapsedMs, latencyMs } = await timedFetch(`${bureau.url}/v1/reports/${applicantId}`);
        expect(status).toBe(200);
        expect(latencyMs).toBeGreaterThanOrEqual(60);
        expect(latencyMs).toBeLessThanOrEqual(120);
        expectWaitedAtLeast(elapsedMs, latencyMs);
      }
    });
  });

  it("defaults to a realistic 150–350 ms", async () => {
    await withBureau({}, async (bureau) => {
      const { status, elapsedMs, latencyMs } = await timedFetch(`${bureau.url}/v1/reports/A-1001`);
      expect(status).toBe(200);
      expect(latencyMs).toBeGreaterThanOrEqual(150);
      expect(latencyMs).toBeLessThanOrEqual(350);
      expectWaitedAtLeast(elapsedMs, latencyMs);
    });
  });

  it("returns the same plausible report for an applicant every time, across servers", async () => {
    const reports: Array<Record<string, unknown>> = [];
    for (let server = 0; server < 2; server += 1) {
      await withBureau({ latencyMs: [0, 5] }, async (bureau) => {
        for (let request = 0; request < 2; request += 1) reports.push((await timedFetch(`${bureau.url}/v1/reports/A-1001`)).body);
      });
    }
    const [first, ...others] = reports.map(withoutTimestamp);
    for (const other of others) expect(other).toEqual(first);
    expect(first).toEqual(withoutTimestamp(creditReportFor("A-1001")));
    const report = reports[0] as unknown as CreditReport;
    expect(report).toMatchObject({ applicantId: "A-1001", bureau: "cadre-demo-bureau" });
    expect(Number.isNaN(Date.parse(report.generatedAt))).toBe(false);
    for (const applicantId of listApplicantIds(dataset)) {
      const { score, utilization, delinquencies, openAccounts, inquiries6m } = creditReportFor(applicantId);
      expect(score).toBeGreaterThanOrEqual(300);
      expect(score).toBeLessThanOrEqual(850);
      expect(utilization).toBeGreaterThanOrEqual(0);
      expect(utilization).toBeLessThanOrEqual(1);
      for (const count of [delinquencies, openAccounts, inquiries6m]) expect(Number.isInteger(count) && count >= 0).toBe(true);
    }
    expect(creditReportFor("A-1001").score).not.toBe(creditReportFor("A-1002").score);
  });

  it("answers 404 JSON for applicants it has no file on and for unknown paths, 405 for other methods", async () => {
    await withBureau({ latencyMs: [0, 1] }, async (bureau) => {
      const unknown = await timedFetch(`${bureau.url}/v1/reports/A-9999`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("content-type")).toBe("application/json");
      expect(unknown.body).toMatchObject({ error: "unknown_applicant", applicantId: "A-9999" });
      expect((await timedFetch(`${bureau.url}/v2/anything`)).status).toBe(404);
      expect((await timedFetch(`${bureau.url}/v1/reports/A-1001`, { method: "POST" })).status).toBe(405);
      expect(bureau.stats()).toMatchObject({ requests: 3, billable: 0 });
    });
    await withBureau({ latencyMs: [0, 1], applicants: ["A-1001"] }, async (bureau) => {
      expect((await timedFetch(`${bureau.url}/v1/reports/A-1001`)).status).toBe(200);
      expect((await timedFetch(`${bureau.url}/v1/reports/A-1002`)).status).toBe(404);
    });
    await withBureau({ latencyMs: [0, 1], applicants: (applicantId) => applicantId.startsWith("Z-") }, async (bureau) => {
      expect((await timedFetch(`${bureau.url}/v1/reports/Z-1`)).status).toBe(200);
      expect((await timedFetch(`${bureau.url}/v1/reports/A-1001`)).status).toBe(404);
    });
  });

  it("in chaos mode fails roughly the configured share with 503, reproducibly for a seed", async () => {
    const requests = 200;
    const run = async (seed: number) => {
      const statuses: number[] = [];
      let stats = { requests: 0, failures: 0 };
      await withBureau({ latencyMs: [0, 0], chaos: { failureRate: 0.3 }, seed }, async (bureau) => {
        for (let request = 0; request < requests; request += 1) {
          const response = await timedFetch(`${bureau.url}/v1/reports/A-1001`);
          if (response.status === 503) expect(response.headers.get("retry-after")).toBe("1");
          statuses.push(response.status);
        }
        stats = bureau.stats();
      });
      return { statuses, stats };
    };
    const first = await run(42);
    const failures = first.statuses.filter((status) => status === 503).length;
    expect(new Set(first.statuses)).toEqual(new Set([200, 503]));
    // 30% of 200 is 60; the binomial standard deviation is about 6.5.
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(80);
    expect(first.stats).toMatchObject({ requests, failures });
    expect((await run(42)).statuses).toEqual(first.statuses);
    expect((await run(43)).statuses).not.toEqual(first.statuses);
  });

  it("in chaos mode delays the configured share of requests by slowMs", async () => {
    await withBureau({ latencyMs: [0, 0], chaos: { failureRate: 0, slowRate: 1, slowMs: 120 } }, async (bureau) => {
      const { status, elapsedMs, latencyMs } = await timedFetch(`${bureau.url}/v1/reports/A-1001`);
      expect(status).toBe(200);
      expect(latencyMs).toBe(120);
      expectWaitedAtLeast(elapsedMs, latencyMs);
    });
  });

  it("replays an Idempotency-Key's response without billing it again", async () => {
    await withBureau({ latencyMs: [5, 10] }, async (bureau) => {
      const url = `${bureau.url}/v1/reports/A-1001`;
      const first = await timedFetch(url, { headers: { "idempotency-key": "k1" } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const replay = await timedFetch(url, { headers: { "idempotency-key": "k1" } });
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(bureau.stats()).toMatchObject({ requests: 2, billable: 1, replayed: 1 });

      const other = await timedFetch(url, { headers: { "idempotency-key": "k2" } });
      expect(other.headers.get("idempotent-replayed")).toBeNull();
      const unkeyed = await timedFetch(url);
      expect(unkeyed.status).toBe(200);
      expect(bureau.stats()).toMatchObject({ requests: 4, billable: 3, replayed: 1, failures: 0 });

      const reused = await timedFetch(`${bureau.url}/v1/reports/A-1002`, { headers: { "idempotency-key": "k1" } });
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ error: "idempotency_key_reused" });
      expect(bureau.stats().billable).toBe(3);
    });
  });

  it("does not bill a request the caller abandoned", async () => {
    await withBureau({ latencyMs: [150, 150] }, async (bureau) => {
      const caller = new AbortController();
      const abandoned = fetch(`${bureau.url}/v1/reports/A-1001`, { signal: caller.signal });
      await until(() => bureau.stats().requests === 1, "the bureau to receive the request");
      caller.abort();
      await expect(abandoned).rejects.toThrow();
      await until(() => bureau.stats().abandoned === 1, "the bureau to see the caller go");
      // A later request with the same latency is answered after the abandoned one would have been.
      expect((await fetch(`${bureau.url}/v1/reports/A-1002`)).status).toBe(200);
      expect(bureau.stats()).toMatchObject({ requests: 2, billable: 1, abandoned: 1 });
    });
  });
});

describe("transactions dataset", () => {
  it("ships 200 applicants with readable ids and about 20k transactions, under 3 MB, opened read-only", () => {
    const ids = listApplicantIds(dataset);
    expect(ids).toHaveLength(200);
    expect(ids[0]).toBe("A-1001");
    expect(ids.every((id) => /^A-\d{4}$/.test(id))).toBe(true);
    const { count } = dataset.prepare("select count(*) as count from transactions").get() as { count: number };
    expect(count).toBeGreaterThan(15_000);
    expect(count).toBeLessThan(30_000);
    expect(statSync(defaultDatasetPath).size).toBeLessThan(3_000_000);
    expect(() => dataset.prepare("delete from transactions").run()).toThrow(/readonly/i);
    expect(findApplicant(dataset, "A-1001")).toMatchObject({ id: "A-1001", fullName: "Elena Moreau", country: "FR" });
    expect(findApplicant(dataset, "A-9999")).toBeUndefined();
  });

  // The reference figures come from the raw rows, summed here rather than in the module's SQL.
  function referenceSummary(applicantId: string, months: number): TransactionSummary {
    const asOf = (dataset.prepare("select max(posted_at) as latest from transactions").get() as { latest: string }).latest;
    const start = new Date(`${asOf}T00:00:00Z`);
    start.setUTCMonth(start.getUTCMonth() - months);
    const from = start.toISOString().slice(0, 10);
    const rows = dataset
      .prepare("select amount_micros as amount, category from transactions where applicant_id = ? and posted_at > ? and posted_at <= ?")
      .all(applicantId, from, asOf) as Array<{ amount: number; category: string }>;
    const outflows = rows.filter((row) => row.amount < 0);
    const outflow = -outflows.reduce((sum, row) => sum + row.amount, 0);
    const risky = -outflows.filter((row) => row.category === "gambling" || row.category === "cash-advance").reduce((sum, row) => sum + row.amount, 0);
    const salary = rows.filter((row) => row.category === "salary").reduce((sum, row) => sum + row.amount, 0);
    return {
      applicantId,
      months,
      count: rows.length,
      inflowMicros: rows.filter((row) => row.amount > 0).reduce((sum, row) => sum + row.amount, 0),
      outflowMicros: outflow,
      averageMonthlyIncomeMicros: Math.round(salary / months),
      riskyCategoryShare: Number((risky / outflow).toFixed(4)),
      returnedPayments: rows.filter((row) => row.category === "returned-payment").length,
      largestOutflowMicros: -Math.min(...outflows.map((row) => row.amount)),
    };
  }

  it("summarizes an applicant's months in SQL, matching figures computed from the raw rows", () => {
    for (const applicantId of ["A-1001", "A-1002", "A-1004"]) {
      for (const months of [12, 6, 3]) expect(summarizeTransactions(dataset, applicantId, { months })).toEqual(referenceSummary(applicantId, months));
    }
    const all = dataset.prepare("select count(*) as count from transactions where applicant_id = 'A-1002'").get() as { count: number };
    expect(summarizeTransactions(dataset, "A-1002").count).toBe(all.count);
    expect(summarizeTransactions(dataset, "A-1002", { months: 3 }).count).toBeLessThan(all.count);
  });

  it("tells the risky applicant from the steady one", () => {
    const steady = summarizeTransactions(dataset, "A-1001", { months: 12 });
    const risky = summarizeTransactions(dataset, "A-1002", { months: 12 });
    expect(steady.riskyCategoryShare).toBe(0);
    expect(steady.returnedPayments).toBe(0);
    expect(steady.inflowMicros).toBeGreaterThan(steady.outflowMicros);
    expect(risky.riskyCategoryShare).toBeGreaterThan(0.15);
    expect(risky.returnedPayments).toBeGreaterThanOrEqual(3);
    expect(risky.outflowMicros).toBeGreaterThan(risky.inflowMicros);
  });

  it("windows on the dataset's statement date, not on the clock, and rejects a bad window", () => {
    expect(latestPostingDate(dataset)).toMatch(/^2026-11-\d\d$/);
    expect(summarizeTransactions(dataset, "A-1001", { months: 1, asOf: "2020-01-31" }).count).toBe(0);
    expect(summarizeTransactions(dataset, "A-9999")).toMatchObject({ count: 0, inflowMicros: 0, riskyCategoryShare: 0, largestOutflowMicros: 0 });
    expect(() => summarizeTransactions(dataset, "A-1001", { months: 0 })).toThrow(/months/);
  });
});

describe("name matching and sanctions screening", () => {
  it("implements Jaro-Winkler and normalization as published", () => {
    expect(jaroWinkler("martha", "marhta")).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler("dwayne", "duane")).toBeCloseTo(0.84, 4);
    expect(jaroWinkler("dixon", "dicksonx")).toBeCloseTo(0.8133, 4);
    expect(jaroWinkler("abc", "xyz")).toBe(0);
    expect(normalizeName("  José  ÁLVAREZ-O'Neil, Jr. ")).toBe("jose alvarez oneil jr");
    expect(normalizeName("Łukasz Søren Straße")).toBe("lukasz soren strasse");
    expect(tokenSortSimilarity("Petrov Mikhail", "Mikhail Petrov")).toBe(1);
    expect(tokenSetSimilarity("Abdulrahman Nasser", "Abdul Rahman Nasser")).toBe(1);
  });

  const variants: Array<[string, string]> = [
    ["Jon Smyth", "John Smith"],
    ["Mikhail Petrof", "Mikhail Petrov"],
    ["Michail Petrow", "Mikhail Petrov"],
    ["Petrov Mikhail", "Mikhail Petrov"],
    ["PETROV, Mikhail", "Mikhail Petrov"],
    ["Mikhail Ivanovich Petrov", "Mikhail Petrov"],
    ["Mohammed Al-Rashid", "Muhammad Al Rashid"],
    ["Youssef Haddad", "Yusuf Haddad"],
    ["Aleksandr Kuznetsov", "Alexander Kuznetsov"],
    ["José Álvarez", "Jose Alvarez"],
    ["Kareem Hadad", "Karim Haddad"],
    ["Abdulrahman Nasser", "Abdul Rahman Nasser"],
    ["Sergey Volkov", "Sergei Volkov"],
    ["Wolkow Sergej", "Sergei Volkov"],
    ["Zhang Wei", "Wei Zhang"],
    ["Yuri Orlov", "Iouri Orlov"],
    ["Tarek Nasser", "Tariq Nasser"],
    ["Jürgen Müller", "Juergen Mueller"],
    ["Pyotr Tchaikovsky", "Chaikovsky Pyotr"],
    ["Vladislav Kozlov", "Wladislaw Koslow"],
  ];
  it.each(variants)("matches %s ~ %s", (subject, listed) => {
    expect(nameSimilarity(subject, listed)).toBeGreaterThanOrEqual(0.9);
    expect(nameSimilarity(listed, subject)).toBeGreaterThanOrEqual(0.9);
  });

  const unrelated: Array<[string, string]> = [
    ["Elena Moreau", "Nadia Moreau"],
    ["Elena Moreau", "Bruno Santoro"],
    ["Ivan Moreau", "Ivan Morales"],
    ["Mikhail Petrenko", "Mikhail Petrov"],
    ["Elena Petrova", "Mikhail Petrov"],
    ["Hanna Lindqvist", "Hanna Dragomir"],
    ["John Smith", "Jane Smithers"],
    ["Karim Haddad", "Karin Hadley"],
    ["Wei Chen", "Wei Zhang"],
    ["Omar Khalil", "Omar Khan"],
    ["Chen Li", "Han Li"],
    ["Petrov", "Mikhail Petrov"],
    ["M. Petrov", "Mikhail Petrov"],
  ];
  it.each(unrelated)("does not match %s ~ %s", (subject, listed) => {
    expect(nameSimilarity(subject, listed)).toBeLessThan(0.9);
    expect(nameSimilarity(listed, subject)).toBeLessThan(0.9);
  });

  it("loads a few hundred listings with aliases from the shipped CSV", () => {
    expect(sanctionsList.length).toBeGreaterThanOrEqual(200);
    expect(sanctionsList.length).toBeLessThan(1_000);
    expect(sanctionsList.find((entry) => entry.name === "Mikhail Petrov")).toEqual({
      name: "Mikhail Petrov",
      aliases: ["Michail Petrow", "PETROV Mikhail", "M. Petrov"],
      country: "XA",
      program: "FIN-SANCT-1",
      listedOn: "2022-03-14",
    });
    expect(sanctionsList.filter((entry) => entry.aliases.length > 0).length).toBeGreaterThan(100);
  });

  it("reads quoted CSV fields", () => {
    const path = join(mkdtempSync(join(tmpdir(), "cadre-sanctions-")), "list.csv");
    writeFileSync(path, 'name,aliases,country,program,listed_on\r\n"Okafor, Emeka","E. Okafor;""The Broker""",XB,TEST-1,2020-01-01\r\n');
    expect(loadSanctionsList(path)).toEqual([{ name: "Okafor, Emeka", aliases: ["E. Okafor", '"The Broker"'], country: "XB", program: "TEST-1", listedOn: "2020-01-01" }]);
  });

  it("screens against listed names and aliases: hits for variants, none for unrelated names", () => {
    for (const name of ["Mikhail Petrof", "Petrov Mikhail", "Michail Petrov", "Kareem Haddad", "Yousef Al Rashid"]) {
      const result = screenName(sanctionsList, { name });
      expect(result.hit, name).toBe(true);
      expect(result.matches[0]!.score).toBeGreaterThanOrEqual(0.9);
    }
    const petrof = screenName(sanctionsList, { name: "Mikhail Petrof" });
    expect(petrof.matches[0]).toMatchObject({ listedName: "Mikhail Petrov", program: "FIN-SANCT-1" });
    const rashid = screenName(sanctionsList, { name: "Youssef Al Rashid" });
    expect(rashid.matches[0]).toMatchObject({ listedName: "Yusuf Al-Rashid", matchedAlias: "Yousef Alrashid" });
    for (const name of ["Elena Moreau", "Bruno Santoro", "Hanna Lindqvist", "Greta Fischer"]) {
      expect(screenName(sanctionsList, { name }), name).toEqual({ hit: false, matches: [] });
    }
  });

  it("reports near misses below the threshold, sorted best first, at most five", () => {
    const nearMiss = screenName(sanctionsList, { name: "Mikhail Petrenko" });
    expect(nearMiss.hit).toBe(false);
    expect(nearMiss.matches[0]).toMatchObject({ listedName: "Mikhail Petrov" });
    expect(screenName(sanctionsList, { name: "Mikhail Petrenko" }, { threshold: 0.85 }).hit).toBe(true);
    const broad = screenName(sanctionsList, { name: "Yusuf" });
    expect(broad.hit).toBe(false);
    expect(broad.matches).toHaveLength(5);
    for (const result of [nearMiss, broad]) {
      const scores = result.matches.map((match) => match.score);
      expect(scores).toEqual([...scores].sort((left, right) => right - left));
      for (const score of scores) expect(score >= reportingFloor && score < 0.9).toBe(true);
    }
  });

  it("counts a listing in the subject's own country as corroboration", () => {
    const list: SanctionsEntry[] = [{ name: "Ivan Petrenko", aliases: [], country: "UA", program: "TEST-1", listedOn: "2020-01-01" }];
    const name = "Ivan Petrov";
    const base = screenName(list, { name });
    const sameCountry = screenName(list, { name, country: "UA" });
    expect(base.matches[0]!.score).toBeLessThan(0.9);
    expect(sameCountry.matches[0]!.score).toBeCloseTo(Math.min(1, base.matches[0]!.score + 0.02), 4);
    expect(screenName(list, { name, country: "FR" })).toEqual(base);
  });
});

describe("scoring", () => {
  function decide(applicantId: string, bureau: "available" | "unavailable" = "available"): ScoredApplication {
    const applicant = findApplicant(dataset, applicantId)!;
    return scoreApplication({
      applicant,
      report: bureau === "available" ? creditReportFor(applicantId) : null,
      transactions: summarizeTransactions(dataset, applicantId, { months: 12 }),
      sanctions: screenName(sanctionsList, { name: applicant.fullName, country: applicant.country }),
    });
  }

  it("approves the good applicant in full, each reason citing its figure", () => {
    const good = decide("A-1001");
    expect(good.decision).toBe("approve");
    expect(good.score).toBeGreaterThanOrEqual(scoringPolicy.approveAtOrAbove);
    expect(good.limitMicros).toBe(findApplicant(dataset, "A-1001")!.requestedAmountMicros);
    expect(good.reasons[0]).toBe(`bureau score ${creditReportFor("A-1001").score} of 850 (${Math.round(((creditReportFor("A-1001").score - 300) / 550) * scoringPolicy.bureauPointsAtBest)} points)`);
    for (const reason of good.reasons) expect(reason).toMatch(/\d/);
  });

  it("declines the risky applicant for gambling, cash advances and returned payments despite a good bureau score", () => {
    const summary = summarizeTransactions(dataset, "A-1002", { months: 12 });
    const risky = decide("A-1002");
    expect(creditReportFor("A-1002").score).toBeGreaterThan(700);
    expect(risky).toMatchObject({ decision: "decline", limitMicros: 0 });
    expect(risky.reasons).toContain(
      `${(summary.riskyCategoryShare * 100).toFixed(1)}% of spending on gambling and cash advances, above 5% (−${Math.round(summary.riskyCategoryShare * 100 * scoringPolicy.pointsPerRiskyPercent)})`,
    );
    expect(risky.reasons).toContain(`${summary.returnedPayments} returned payments in 12 months (−${summary.returnedPayments * scoringPolicy.pointsPerReturnedPayment})`);
  });

  it("declines every sanctions hit whatever the other figures, and passes the near miss", () => {
    for (const [applicantId, listedName] of [["A-1003", "Mikhail Petrov"], ["A-1057", "Yusuf Al-Rashid"], ["A-1142", "Karim Haddad"]] as const) {
      const declined = decide(applicantId);
      expect(declined).toMatchObject({ decision: "decline", score: 0, limitMicros: 0 });
      expect(declined.reasons).toHaveLength(1);
      expect(declined.reasons[0]).toContain(`listed "${listedName}"`);
      expect(decide(applicantId, "unavailable").decision).toBe("decline");
    }
    expect(decide("A-1088").decision).toBe("refer");
    const hits = listApplicantIds(dataset).filter((applicantId) => {
      const applicant = findApplicant(dataset, applicantId)!;
      return screenName(sanctionsList, { name: applicant.fullName, country: applicant.country }).hit;
    });
    expect(hits).toEqual(["A-1003", "A-1057", "A-1142"]);
  });

  it("declines on a poor bureau file even when the bank statement balances", () => {
    const report = creditReportFor("A-1004");
    const decision = decide("A-1004");
    expect(decision.decision).toBe("decline");
    expect(decision.reasons).toContain(`${report.delinquencies} delinquencies on the bureau file (−${report.delinquencies * scoringPolicy.pointsPerDelinquency})`);
  });

  it("without a bureau report decides on transactions only, capped, and mostly refers", () => {
    const degraded = decide("A-1001", "unavailable");
    expect(degraded.decision).toBe("refer");
    expect(degraded.limitMicros).toBe(scoringPolicy.limitWithoutBureauMicros);
    expect(degraded.reasons[0]).toContain("credit bureau unavailable");
    expect(degraded.reasons.at(-1)).toContain("above the $2,000 that may be approved without a bureau report");
    expect(decide("A-1004", "unavailable")).toMatchObject({ decision: "refer", limitMicros: scoringPolicy.limitWithoutBureauMicros });

    const outcomes = listApplicantIds(dataset).map((applicantId) => ({ applicantId, decision: decide(applicantId, "unavailable") }));
    for (const { applicantId, decision } of outcomes) {
      expect(decision.limitMicros).toBeLessThanOrEqual(scoringPolicy.limitWithoutBureauMicros);
      if (decision.decision === "approve") expect(findApplicant(dataset, applicantId)!.requestedAmountMicros).toBeLessThanOrEqual(scoringPolicy.limitWithoutBureauMicros);
    }
    const referred = outcomes.filter(({ decision }) => decision.decision === "refer").length;
    expect(referred).toBeGreaterThan(outcomes.length / 2);
  });

  it("may approve a small amount without a bureau report", () => {
    const applicant: Applicant = {
      id: "T-1",
      fullName: "Test Applicant",
      country: "DE",
      dateOfBirth: "1980-01-01",
      annualIncomeMicros: 90_000_000_000,
      employmentYears: 10,
      requestedAmountMicros: 1_500_000_000,
    };
    const transactions: TransactionSummary = {
      applicantId: "T-1",
      months: 12,
      count: 120,
      inflowMicros: 72_000_000_000,
      outflowMicros: 55_000_000_000,
      averageMonthlyIncomeMicros: 6_000_000_000,
      riskyCategoryShare: 0,
      returnedPayments: 0,
      largestOutflowMicros: 1_800_000_000,
    };
    const result = scoreApplication({ applicant, report: null, transactions, sanctions: { hit: false, matches: [] } });
    expect(result).toMatchObject({ decision: "approve", limitMicros: 1_500_000_000 });
    expect(scoreApplication({ applicant, report: null, transactions, sanctions: { hit: false, matches: [] } })).toEqual(result);
    expect(() => scoreApplication({ applicant, report: null, transactions: { ...transactions, applicantId: "T-2" }, sanctions: { hit: false, matches: [] } })).toThrow(/T-2/);
  });
});
