import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { AccountsTable } from "../store/schema.ts";
import type { Db } from "../store/store.ts";
import { BudgetExceededError, type BudgetLevel } from "./governance-errors.ts";

/**
 * The ledger. Every account holds `balance` (money in it, held part included), `reserved`
 * (held for calls in flight) and `spent` (charged so far, already taken out of balance).
 * Money enters only through `fund` (a deposit into the treasury) and moves only by
 * `transfer`, so the sum of balance + spent over money accounts is constant between
 * deposits. Cap accounts (standing per-agent limits) use the same arithmetic but hold no money.
 */
export type AccountKind = AccountsTable["kind"];

export const treasuryAccount = "treasury";
export const workflowAccount = (workflow: string) => `workflow:${workflow}`;
export const runAccount = (runId: string) => `run:${runId}`;
export const callAccount = (runId: string, stepKey: string) => `call:${runId}:${stepKey}`;

/** The cap account of an agent for the period containing `now` (UTC day or month). */
export function capAccount(agent: string, period: "day" | "month", now: number): string {
  const date = new Date(now).toISOString();
  return `cap:${agent}:${period}:${period === "day" ? date.slice(0, 10) : date.slice(0, 7)}`;
}

export interface AccountRow {
  id: string;
  kind: AccountKind;
  balance: number;
  reserved: number;
  spent: number;
}

/** Creates the account if it does not exist (with `initialBalance`, for cap accounts). */
export async function ensureAccount(
  tx: Db,
  account: { id: string; kind: AccountKind; name: string; runId?: string | null; agent?: string | null; parentId?: string | null; initialBalance?: number; now: number },
): Promise<void> {
  await tx
    .insertInto("accounts")
    .values({
      id: account.id,
      kind: account.kind,
      name: account.name,
      run_id: account.runId ?? null,
      agent: account.agent ?? null,
      parent_id: account.parentId ?? null,
      balance: account.initialBalance ?? 0,
      reserved: 0,
      spent: 0,
      created_at: account.now,
      closed_at: null,
    })
    .onConflict((conflict) => conflict.column("id").doNothing())
    .execute();
}

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  const row = await db.selectFrom("accounts").select(["id", "kind", "balance", "reserved", "spent"]).where("id", "=", id).executeTakeFirst();
  return row ? { ...row, balance: Number(row.balance), reserved: Number(row.reserved), spent: Number(row.spent) } : undefined;
}

/** A deposit from outside the system into the treasury. */
export async function fund(tx: Db, options: { amount: number; now: number; note?: string }): Promise<void> {
  assertAmount(options.amount);
  await ensureAccount(tx, { id: treasuryAccount, kind: "treasury", name: "treasury", now: options.now });
  await tx.updateTable("accounts").set({ balance: sql`balance + ${options.amount}` }).where("id", "=", treasuryAccount).execute();
  await tx
    .insertInto("ledger_entries")
    .values({ id: randomUUID(), kind: "fund", from_account: null, to_account: treasuryAccount, amount: options.amount, run_id: null, step_key: null, agent: null, subject: options.note ?? null, units: null, created_at: options.now })
    .execute();
}

/**
 * Moves available money between accounts. Refuses (BudgetExceededError naming `level`)
 * when the source cannot cover it: the conditional update makes overdrafts impossible
 * even under concurrent transfers.
 */
export async function transfer(
  tx: Db,
  options: { from: string; to: string; amount: number; level: BudgetLevel; now: number; runId?: string | null; stepKey?: string | null; agent?: string | null; note?: string },
): Promise<void> {
  assertAmount(options.amount);
  if (options.amount === 0) return;
  const taken = await tx
    .updateTable("accounts")
    .set({ balance: sql`balance - ${options.amount}` })
    .where("id", "=", options.from)
    .where(sql<boolean>`balance - reserved >= ${options.amount}`)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) throw await insufficient(tx, options.from, options.level, options.amount, options);
  await tx.updateTable("accounts").set({ balance: sql`balance + ${options.amount}` }).where("id", "=", options.to).execute();
  await tx
    .insertInto("ledger_entries")
    .values({
      id: randomUUID(),
      kind: "transfer",
      from_account: options.from,
      to_account: options.to,
      amount: options.amount,
      run_id: options.runId ?? null,
      step_key: options.stepKey ?? null,
      agent: options.agent ?? null,
      subject: options.note ?? null,
      units: null,
      created_at: options.now,
    })
    .execute();
}

/** Moves everything available in `from` to `to` (unspent funds flowing back up). */
export async function sweep(tx: Db, options: { from: string; to: string; now: number; runId?: string | null; stepKey?: string | null; agent?: string | null }): Promise<number> {
  const account = await getAccount(tx, options.from);
  const available = account ? account.balance - account.reserved : 0;
  if (available > 0) await transfer(tx, { ...options, amount: available, level: "call", note: "return unspent" });
  return available;
}

export interface HoldLevel {
  account: string;
  level: BudgetLevel;
}

/**
 * Reserves `amount` on every level at once. Each level is a conditional update; the first
 * that cannot cover it throws, and the caller's transaction rolls back the ones before it,
 * so a reservation is all-or-nothing.
 */
export async function reserve(
  tx: Db,
  options: { levels: HoldLevel[]; amount: number; now: number; runId: string | null; stepKey: string | null; agent: string | null },
): Promise<Reservation> {
  assertAmount(options.amount);
  const reservation: Reservation = { id: randomUUID(), holds: [] };
  for (const { account, level } of options.levels) {
    if (options.amount > 0) {
      const held = await tx
        .updateTable("accounts")
        .set({ reserved: sql`reserved + ${options.amount}` })
        .where("id", "=", account)
        .where(sql<boolean>`balance - reserved >= ${options.amount}`)
        .executeTakeFirst();
      if (Number(held.numUpdatedRows) !== 1) throw await insufficient(tx, account, level, options.amount, options);
    }
    const hold = { id: randomUUID(), account, amount: options.amount };
    await tx
      .insertInto("holds")
      .values({ id: hold.id, reservation_id: reservation.id, account_id: account, amount: hold.amount, status: "open", run_id: options.runId, step_key: options.stepKey, created_at: options.now, closed_at: null })
      .execute();
    reservation.holds.push(hold);
  }
  return reservation;
}

/** A reservation as `reserve` made it: one hold per level, the money account's first. */
export interface Reservation {
  id: string;
  holds: Array<{ id: string; account: string; amount: number }>;
}

/**
 * Settles a reservation: charges `actual` (at most what was held) on every level and
 * releases the rest. Idempotent per hold: closing a hold is a conditional update, and only
 * a hold this call closed moves money. Returns the amount charged (0: a plain release).
 * Given the reservation `reserve` returned, it needs no lookup; given only its id (a crash
 * left it open), it reads the open holds.
 */
export async function settle(
  tx: Db,
  options: { reservation: Reservation | string; actual: number; now: number; attribution?: { runId: string | null; stepKey: string | null; agent: string | null; subject: string; units?: Record<string, unknown> } },
): Promise<number> {
  const holds = typeof options.reservation === "string" ? await openHolds(tx, options.reservation) : options.reservation.holds;
  let charged = 0;
  let moneyAccount: string | undefined;
  for (const hold of holds) {
    const charge = Math.max(0, Math.min(options.actual, hold.amount));
    const closed = await tx.updateTable("holds").set({ status: charge > 0 ? "settled" : "released", closed_at: options.now }).where("id", "=", hold.id).where("status", "=", "open").executeTakeFirst();
    if (Number(closed.numUpdatedRows) !== 1) continue;
    await tx
      .updateTable("accounts")
      .set({ reserved: sql`reserved - ${hold.amount}`, balance: sql`balance - ${charge}`, spent: sql`spent + ${charge}` })
      .where("id", "=", hold.account)
      .execute();
    charged = charge;
    moneyAccount ??= hold.account;
  }
  if (charged > 0 && moneyAccount && options.attribution) {
    await tx
      .insertInto("ledger_entries")
      .values({
        id: randomUUID(),
        kind: "charge",
        from_account: moneyAccount,
        to_account: null,
        amount: charged,
        run_id: options.attribution.runId,
        step_key: options.attribution.stepKey,
        agent: options.attribution.agent,
        subject: options.attribution.subject,
        units: options.attribution.units ? JSON.stringify(options.attribution.units) : null,
        created_at: options.now,
      })
      .execute();
  }
  return charged;
}

/** The open holds of a reservation, the money account's first (cap accounts hold no money). */
async function openHolds(tx: Db, reservationId: string): Promise<Reservation["holds"]> {
  const rows = await tx.selectFrom("holds").select(["id", "account_id", "amount"]).where("reservation_id", "=", reservationId).where("status", "=", "open").execute();
  return rows
    .map((row) => ({ id: row.id, account: row.account_id, amount: Number(row.amount) }))
    .sort((left, right) => Number(left.account.startsWith("cap:")) - Number(right.account.startsWith("cap:")));
}

/** Releases every open hold of a run: holds left by a crashed process. Returns how many. */
export async function releaseRunHolds(tx: Db, options: { runId: string; now: number }): Promise<number> {
  const reservations = await tx.selectFrom("holds").select("reservation_id").distinct().where("run_id", "=", options.runId).where("status", "=", "open").execute();
  for (const { reservation_id } of reservations) await settle(tx, { reservation: reservation_id, actual: 0, now: options.now });
  return reservations.length;
}

async function insufficient(tx: Db, account: string, level: BudgetLevel, asked: number, context: { runId?: string | null; stepKey?: string | null; agent?: string | null }): Promise<BudgetExceededError> {
  const row = await getAccount(tx, account);
  return new BudgetExceededError({
    level,
    account,
    askedMicros: asked,
    availableMicros: row ? row.balance - row.reserved : 0,
    reservedMicros: row?.reserved ?? 0,
    agent: context.agent ?? null,
    runId: context.runId ?? null,
    stepKey: context.stepKey ?? null,
  });
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`Ledger amounts are non-negative integer micro-units; got ${amount}.`);
}
