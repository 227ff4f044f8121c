import { afterEach, describe, expect, it } from "vitest";
import { releaseRunHolds, reserve, settle, type Reservation } from "../../src/governance/holds.ts";
import { capAccount, ensureAccount, fund, getAccount, runAccount, transfer, treasuryAccount } from "../../src/governance/ledger.ts";
import { usd, type Store } from "../../src/index.ts";
import { dialects, openTestStore } from "../helpers/stores.ts";
import { ledgerTotals } from "./fixtures.ts";

const runId = "run-ledger";
const now = 1_700_000_000_000;

/** A treasury funded with $10 and a run account holding `budget`. */
async function fundedRun(store: Store, budget: number): Promise<void> {
  await store.transaction(async (tx) => {
    await fund(tx, { amount: usd(10), now });
    await ensureAccount(tx, { id: runAccount(runId), kind: "run", name: runId, runId, now });
    await transfer(tx, { from: treasuryAccount, to: runAccount(runId), amount: budget, level: "treasury", now });
  });
}

const levels = [{ account: runAccount(runId), level: "run" as const }];
const attribution = (stepKey: string) => ({ runId, stepKey, agent: "spender", subject: "tool:paid", units: { calls: 1 } });

describe.each(await dialects())("the ledger on %s", (dialect) => {
  let test: Awaited<ReturnType<typeof openTestStore>> | undefined;
  const open = async () => (test = await openTestStore(dialect)).store;
  afterEach(async () => {
    await test?.close();
    test = undefined;
  });

  it("100 reservations in concurrent transactions against $0.50: exactly 50 hold, none overspends", async () => {
    const store = await open();
    await fundedRun(store, usd(0.5));
    // Separate transactions (on PostgreSQL, separate pooled connections): the conditional update is all that stands between them.
    const attempts = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => store.transaction((tx) => reserve(tx, { levels, amount: usd(0.01), now, runId, stepKey: `${i}:paid`, agent: "spender" }))),
    );
    const held = attempts.flatMap((attempt) => (attempt.status === "fulfilled" ? [attempt.value] : []));
    const refused = attempts.flatMap((attempt) => (attempt.status === "rejected" ? [attempt.reason as { code: string; details: Record<string, unknown> }] : []));
    expect(held).toHaveLength(50);
    expect(refused).toHaveLength(50);
    expect(refused[0]).toMatchObject({ code: "BUDGET_EXCEEDED", details: { level: "run", askedMicros: usd(0.01), account: runAccount(runId) } });
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ balance: usd(0.5), reserved: usd(0.5), spent: 0 });
    await Promise.all(held.map((reservation, i) => store.transaction((tx) => settle(tx, { reservation, actual: usd(0.01), now, attribution: attribution(`${i}:paid`) }))));
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ balance: 0, reserved: 0, spent: usd(0.5) });
    const totals = await ledgerTotals(store);
    expect(totals).toMatchObject({ held: 0, openHolds: 0, conserved: totals.funded });
  });

  it("settles a reservation once: a second settle and a sweeper racing it move no more money", async () => {
    const store = await open();
    await fundedRun(store, usd(1));
    const reservation = await store.transaction((tx) => reserve(tx, { levels, amount: usd(0.3), now, runId, stepKey: "1:paid", agent: "spender" }));
    const [charged] = await Promise.all([
      store.transaction((tx) => settle(tx, { reservation, actual: usd(0.2), now, attribution: attribution("1:paid") })),
      store.transaction((tx) => releaseRunHolds(tx, { runId, now })),
    ]);
    const again = await store.transaction((tx) => settle(tx, { reservation, actual: usd(0.2), now, attribution: attribution("1:paid") }));
    expect(again).toBe(0);
    // Whichever closed the holds first decided: a charge of $0.20, or a plain release; never both, never twice.
    expect([0, usd(0.2)]).toContain(charged);
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ reserved: 0, spent: charged, balance: usd(1) - charged });
    const charges = await store.db.selectFrom("ledger_entries").select("amount").where("kind", "=", "charge").execute();
    expect(charges.map((row) => Number(row.amount))).toEqual(charged > 0 ? [usd(0.2)] : []);
    expect((await ledgerTotals(store)).conserved).toBe(usd(10));
  });

  it("charges at most what was held, and releases the rest", async () => {
    const store = await open();
    await fundedRun(store, usd(1));
    const reservation = await store.transaction((tx) => reserve(tx, { levels, amount: usd(0.1), now, runId, stepKey: "1:paid", agent: "spender" }));
    expect(await store.transaction((tx) => settle(tx, { reservation, actual: usd(5), now, attribution: attribution("1:paid") }))).toBe(usd(0.1));
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ balance: usd(0.9), reserved: 0, spent: usd(0.1) });
    const [charge] = await store.db.selectFrom("ledger_entries").selectAll().where("kind", "=", "charge").execute();
    expect(charge).toMatchObject({ from_account: runAccount(runId), run_id: runId, step_key: "1:paid", agent: "spender", subject: "tool:paid" });
    expect(JSON.parse(charge!.units!)).toEqual({ calls: 1 });
  });

  it("reserves on every level or on none: a cap that refuses leaves the run's account untouched", async () => {
    const store = await open();
    await fundedRun(store, usd(1));
    const cap = capAccount("spender", "day", now);
    await store.transaction((tx) => ensureAccount(tx, { id: cap, kind: "cap", name: "spender per day", agent: "spender", initialBalance: usd(0.05), now }));
    const both = [...levels, { account: cap, level: "agent-day" as const }];
    const first = await store.transaction((tx) => reserve(tx, { levels: both, amount: usd(0.04), now, runId, stepKey: "1:paid", agent: "spender" }));
    const refused = await store.transaction((tx) => reserve(tx, { levels: both, amount: usd(0.04), now, runId, stepKey: "2:paid", agent: "spender" })).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "BUDGET_EXCEEDED", retryable: true, details: { level: "agent-day", account: cap, availableMicros: usd(0.01), reservedMicros: usd(0.04) } });
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ reserved: usd(0.04) });
    expect((await ledgerTotals(store)).openHolds).toBe(2);
    await store.transaction((tx) => settle(tx, { reservation: first, actual: usd(0.03), now, attribution: attribution("1:paid") }));
    expect(await getAccount(store.db, cap)).toMatchObject({ balance: usd(0.02), reserved: 0, spent: usd(0.03) });
    expect(await getAccount(store.db, runAccount(runId))).toMatchObject({ balance: usd(0.97), reserved: 0, spent: usd(0.03) });
    // The charge is attributed once, to the money account, not to the cap.
    expect(await store.db.selectFrom("ledger_entries").select("from_account").where("kind", "=", "charge").execute()).toEqual([{ from_account: runAccount(runId) }]);
  });

  it("a crashed process's reservation is released from its id alone", async () => {
    const store = await open();
    await fundedRun(store, usd(1));
    const cap = capAccount("spender", "month", now);
    await store.transaction((tx) => ensureAccount(tx, { id: cap, kind: "cap", name: "spender per month", agent: "spender", initialBalance: usd(1), now }));
    const reservation: Reservation = await store.transaction((tx) => reserve(tx, { levels: [...levels, { account: cap, level: "agent-month" }], amount: usd(0.25), now, runId, stepKey: "1:paid", agent: "spender" }));
    expect(await store.transaction((tx) => releaseRunHolds(tx, { runId, now }))).toBe(1);
    expect(await store.transaction((tx) => settle(tx, { reservation: reservation.id, actual: usd(0.25), now }))).toBe(0);
    for (const account of [runAccount(runId), cap]) expect((await getAccount(store.db, account))?.reserved).toBe(0);
    expect(await ledgerTotals(store)).toMatchObject({ held: 0, openHolds: 0 });
  });

  it("a free call holds nothing and charges nothing", async () => {
    const store = await open();
    await fundedRun(store, 0);
    const reservation = await store.transaction((tx) => reserve(tx, { levels, amount: 0, now, runId, stepKey: "1:free", agent: "spender" }));
    expect(await store.transaction((tx) => settle(tx, { reservation, actual: 0, now, attribution: attribution("1:free") }))).toBe(0);
    expect(await store.db.selectFrom("holds").selectAll().execute()).toEqual([]);
  });

  it("refuses amounts that are not integer micro-units", async () => {
    const store = await open();
    await fundedRun(store, usd(1));
    await expect(store.transaction((tx) => reserve(tx, { levels, amount: 0.5, now, runId, stepKey: "1:paid", agent: "spender" }))).rejects.toThrow(RangeError);
    await expect(store.transaction((tx) => transfer(tx, { from: runAccount(runId), to: treasuryAccount, amount: -1, level: "run", now }))).rejects.toThrow(/non-negative integer micro-units/);
  });
});
