import { expect } from "vitest";
import type { Store } from "../../src/index.ts";
import { pricePerCall } from "../fixtures/workers/cadre.config.ts";
import { ledgerTotals } from "../governance/fixtures.ts";
import { cadre } from "../helpers/cli.ts";
import type { EffectServer } from "../helpers/effect-server.ts";

/** Each logical effect reached the outside world under exactly one idempotency key. */
export function expectOneKeyPerEffect(server: EffectServer<{ effect: string }>, effects: string[]): void {
  const keys = server.keysByEffect();
  expect([...keys.keys()].sort()).toEqual([...effects].sort());
  for (const [effect, seen] of keys) expect(seen.size, `effect ${effect} was sent under ${seen.size} idempotency keys`).toBe(1);
}

/** Charges equal completed calls × price, nothing is still held, money is conserved, the chain verifies. */
export async function expectBooksBalance(store: Store, location: string, calls: number): Promise<void> {
  const charged = await store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("kind", "=", "charge").executeTakeFirst();
  expect(Number(charged?.total)).toBe(calls * pricePerCall);
  const totals = await ledgerTotals(store);
  expect(totals).toMatchObject({ held: 0, openHolds: 0 });
  expect(totals.conserved).toBe(totals.funded);
  expect(cadre(["--store", location, "audit", "verify"]).status).toBe(0);
}
