import { describe, expect, it } from "vitest";
import { reportFor, startBureauServer } from "../../examples/credit-risk/bureau-server.ts";
import { loadSanctionsList, nameSimilarity, screenName } from "../../examples/credit-risk/sanctions.ts";
import { scoreApplication } from "../../examples/credit-risk/scoring.ts";
import { findApplicant, openTransactionsDataset, summarizeTransactions } from "../../examples/credit-risk/transactions.ts";

describe("credit-risk domain", () => {
  const dataset = openTransactionsDataset();
  const list = loadSanctionsList();

  it("serves deterministic reports over HTTP with realistic latency and honours idempotency keys", async () => {
    const bureau = await startBureauServer({ latencyMs: [40, 60] });
    try {
      const started = performance.now();
      const first = await fetch(`${bureau.url}/v1/reports/A-1001`, { headers: { "idempotency-key": "k1" } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(35);
      expect(await first.json()).toEqual(reportFor("A-1001"));
      await fetch(`${bureau.url}/v1/reports/A-1001`, { headers: { "idempotency-key": "k1" } });
      await fetch(`${bureau.url}/v1/reports/A-1001`, { headers: { "idempotency-key": "k2" } });
      expect(bureau.stats()).toMatchObject({ requests: 3, billable: 2 });
      expect((await fetch(`${bureau.url}/nope`)).status).toBe(404);
    } finally {
      await bureau.close();
    }
  });

  it("fails the configured share of requests in chaos mode", async () => {
    const bureau = await startBureauServer({ latencyMs: [0, 1], chaos: { failureRate: 0.5, seed: 3 } });
    try {
      const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(`${bureau.url}/v1/reports/A-1001`).then((response) => response.status)));
      const failures = statuses.filter((status) => status === 503).length;
      expect(failures).toBeGreaterThan(10);
      expect(failures).toBeLessThan(30);
      expect(bureau.stats().failures).toBe(failures);
    } finally {
      await bureau.close();
    }
  });

  it("summarizes transactions in SQL, matching an independent query", () => {
    const summary = summarizeTransactions(dataset, "A-1002", { months: 12 });
    const check = dataset
      .prepare("select sum(case when amount_micros > 0 then amount_micros else 0 end) as inflow, count(*) as count from transactions where applicant_id = 'A-1002'")
      .get() as { inflow: number; count: number };
    expect(summary.inflowMicros).toBe(check.inflow);
    expect(summary.count).toBe(check.count);
    expect(summary.riskyCategoryShare).toBeGreaterThan(0.2);
    expect(summarizeTransactions(dataset, "A-1001").riskyCategoryShare).toBe(0);
  });

  it("matches spelling, order and transliteration variants and not unrelated names", () => {
    expect(nameSimilarity("Mikhail Petrof", "Mikhail Petrov")).toBeGreaterThan(0.9);
    expect(nameSimilarity("Petrov Mikhail", "Mikhail Petrov")).toBe(1);
    expect(nameSimilarity("José Álvarez", "Jose Alvarez")).toBe(1);
    expect(nameSimilarity("Kareem Haddad", "Karim Haddad")).toBeGreaterThan(0.9);
    expect(nameSimilarity("Elena Moreau", "Nadia Moreau")).toBe(0);
    expect(nameSimilarity("Elena Moreau", "Bruno Santoro")).toBe(0);
    expect(screenName(list, { name: "Mikhail Petrof" })).toMatchObject({ hit: true, matches: [expect.objectContaining({ listedName: "Mikhail Petrov" })] });
    expect(screenName(list, { name: "Elena Moreau" }).hit).toBe(false);
  });

  it("decides the documented applicants and degrades without a bureau report", () => {
    const decide = (applicantId: string, withReport = true) => {
      const applicant = findApplicant(dataset, applicantId)!;
      return scoreApplication({
        applicant,
        report: withReport ? reportFor(applicantId) : null,
        transactions: summarizeTransactions(dataset, applicantId),
        sanctions: screenName(list, { name: applicant.fullName }),
      });
    };
    expect(decide("A-1001").decision).toBe("approve");
    const risky = decide("A-1002");
    expect(risky.decision).toBe("decline");
    expect(risky.reasons.join(" ")).toContain("gambling");
    const sanctioned = decide("A-1003");
    expect(sanctioned).toMatchObject({ decision: "decline", limitMicros: 0 });
    expect(sanctioned.reasons[0]).toContain("Mikhail Petrov");
    const degraded = decide("A-1001", false);
    expect(degraded.decision).toBe("refer");
    expect(degraded.limitMicros).toBeLessThanOrEqual(2_000_000_000);
    expect(degraded.reasons[0]).toContain("bureau unavailable");
  });
});
