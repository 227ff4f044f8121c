import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { compiledQuery, isPostgres } from "../store/compiled-query.ts";
import { checkBeforeCommit, send, type Db } from "../store/store.ts";
import { BudgetExceededError, type BudgetLevel } from "./governance-errors.ts";
import { assertAmount, insufficientFunds } from "./ledger.ts";

/**
 * Holds: money set aside on every budget level before an effect runs, then settled at its
 * actual cost or released. A hold moves an account's `reserved`, never its balance; only
 * settling charges. The statements of every governed call are compiled once.
 */
export interface HoldLevel {
  account: string;
  level: BudgetLevel;
}

/** A reservation as `reserve` made it: `amount` held on each of `accounts`, the money account first. */
export interface Reservation {
  id: string;
  amount: number;
  accounts: string[];
}

export interface ChargeAttribution {
  runId: string | null;
  stepKey: string | null;
  agent: string | null;
  /** What was paid for: `tool:name`, `model:provider:id`. */
  subject: string;
  units?: Record<string, unknown>;
}

const insertHold = compiledQuery((db, hold: { id: string; reservationId: string; account: string; amount: number; runId: string | null; stepKey: string | null; now: number }) =>
  db.insertInto("holds").values({
    id: hold.id,
    reservation_id: hold.reservationId,
    account_id: hold.account,
    amount: hold.amount,
    status: "open",
    run_id: hold.runId,
    step_key: hold.stepKey,
    created_at: hold.now,
    closed_at: null,
  }),
);

// The condition is evaluated under the row lock (PostgreSQL re-checks it on the row's newest
// version after waiting), so concurrent reservations can never take an account below zero.
const holdOnAccount = compiledQuery((db, hold: { account: string; amount: number }) =>
  db
    .updateTable("accounts")
    .set({ reserved: sql`reserved + ${hold.amount}` })
    .where("id", "=", hold.account)
    .where(sql<boolean>`balance - reserved >= ${hold.amount}`),
);

/**
 * The same hold on PostgreSQL, refusing by raising (`cadre_refuse_hold`, migration 14): the
 * transaction then aborts in the database, so nothing waits for this statement's answer before
 * COMMIT and the account row is locked for one round trip less. A data-modifying CTE always
 * runs; `coalesce` calls the refusal only when it updated no row.
 */
const holdOrRefuse = compiledQuery((db, hold: { account: string; amount: number }) => ({
  compile: () =>
    sql<{ held: number }>`
      with held as (
        update accounts set reserved = reserved + ${hold.amount}::bigint
        where id = ${hold.account}::text and balance - reserved >= ${hold.amount}::bigint
        returning 1 as one
      )
      select coalesce((select one from held), cadre_refuse_hold(${hold.account}::text, ${hold.amount}::bigint)) as held`.compile(db),
}));

/** The SQLSTATE `cadre_refuse_hold` raises. */
const refusedHold = "CB001";

const closeHolds = compiledQuery((db, close: { reservationId: string; status: "settled" | "released"; now: number }) =>
  db.updateTable("holds").set({ status: close.status, closed_at: close.now }).where("reservation_id", "=", close.reservationId).where("status", "=", "open"),
);

const chargeAccount = compiledQuery((db, charge: { account: string; held: number; charged: number }) =>
  db
    .updateTable("accounts")
    .set({ reserved: sql`reserved - ${charge.held}`, balance: sql`balance - ${charge.charged}`, spent: sql`spent + ${charge.charged}` })
    .where("id", "=", charge.account),
);

const insertCharge = compiledQuery((db, charge: { id: string; account: string; amount: number; runId: string | null; stepKey: string | null; agent: string | null; subject: string; units: string | null; now: number }) =>
  db.insertInto("ledger_entries").values({
    id: charge.id,
    kind: "charge",
    from_account: charge.account,
    to_account: null,
    amount: charge.amount,
    run_id: charge.runId,
    step_key: charge.stepKey,
    agent: charge.agent,
    subject: charge.subject,
    units: charge.units,
    created_at: charge.now,
  }),
);

/**
 * Settling on PostgreSQL, as one statement: close the open holds of the reservation, and only
 * if this statement closed them, charge and release every account they held and record the
 * charge. One statement, so a governed call's settlement needs no answer before its next write.
 */
const settleAtOnce = compiledQuery((db, settlement: { reservationId: string; status: "settled" | "released"; held: number; charged: number; chargeId: string; account: string; runId: string | null; stepKey: string | null; agent: string | null; subject: string | null; units: string | null; now: number }) => ({
  compile: () =>
    sql<{ closed: number }>`
      with closed as (
        update holds set status = ${settlement.status}::text, closed_at = ${settlement.now}::bigint
        where reservation_id = ${settlement.reservationId}::text and status = 'open'
        returning account_id
      ), charged as (
        update accounts set reserved = reserved - ${settlement.held}::bigint, balance = balance - ${settlement.charged}::bigint, spent = spent + ${settlement.charged}::bigint
        where id in (select account_id from closed)
      ), entry as (
        insert into ledger_entries (id, kind, from_account, to_account, amount, run_id, step_key, agent, subject, units, created_at)
        select ${settlement.chargeId}::text, 'charge', ${settlement.account}::text, null, ${settlement.charged}::bigint, ${settlement.runId}::text, ${settlement.stepKey}::text, ${settlement.agent}::text, ${settlement.subject}::text, ${settlement.units}::text, ${settlement.now}::bigint
        where ${settlement.charged}::bigint > 0 and ${settlement.subject}::text is not null and exists (select 1 from closed)
      )
      select count(*) as closed from closed`.compile(db),
}));

/**
 * Reserves `amount` on every level at once, all or nothing: each level's account is a
 * conditional update, the first that cannot cover the amount throws (BudgetExceededError
 * naming the level) and the caller's transaction rolls back the holds before it. A zero
 * amount holds nothing. In a store transaction the statements are sent without waiting for
 * their answers (one round trip with what follows on PostgreSQL) and the transaction throws
 * the refusal before it commits; outside one, `reserve` itself throws it.
 */
export async function reserve(
  tx: Db,
  options: { levels: HoldLevel[]; amount: number; now: number; runId: string | null; stepKey: string | null; agent: string | null },
): Promise<Reservation> {
  assertAmount(options.amount);
  const reservation: Reservation = { id: randomUUID(), amount: options.amount, accounts: options.levels.map((level) => level.account) };
  if (options.amount === 0) return { ...reservation, accounts: [] };
  for (const account of reservation.accounts) {
    await send(tx, insertHold(tx, { id: randomUUID(), reservationId: reservation.id, account, amount: options.amount, runId: options.runId, stepKey: options.stepKey, now: options.now }));
  }
  // Last, so the busiest row (the run's account) stays locked for as short a time as possible.
  if (isPostgres(tx)) {
    for (const { account, level } of options.levels) {
      const held = holdOrRefuse(tx, { account, amount: options.amount }).catch((error: unknown) => {
        throw (error as { code?: string }).code === refusedHold ? refusal(error as { detail?: string }, { ...options, account, level }) : error;
      });
      await send(tx, held);
    }
    return reservation;
  }
  for (const { account, level } of options.levels) {
    const held = holdOnAccount(tx, { account, amount: options.amount }).then(async (result) => {
      if (Number(result.numAffectedRows) !== 1) throw await insufficientFunds(tx, { ...options, account, level, askedMicros: options.amount });
    });
    await checkBeforeCommit(tx, held);
  }
  return reservation;
}

/** The refusal `cadre_refuse_hold` raised, with the account's figures it read. */
function refusal(error: { detail?: string }, options: { account: string; level: BudgetLevel; amount: number; runId: string | null; stepKey: string | null; agent: string | null }): BudgetExceededError {
  const held = JSON.parse(error.detail ?? "{}") as { balance?: number; reserved?: number };
  const reserved = Number(held.reserved ?? 0);
  return new BudgetExceededError({ level: options.level, account: options.account, askedMicros: options.amount, availableMicros: Number(held.balance ?? 0) - reserved, reservedMicros: reserved, agent: options.agent, runId: options.runId, stepKey: options.stepKey });
}

/**
 * Settles a reservation: charges `actual` (at most what was held) on every level and
 * releases the rest. Idempotent: the holds of a reservation are closed together by one
 * conditional update, and only the call that closed them moves money, so settling twice (or
 * a sweeper racing the gateway) charges once. Returns the amount charged (0: a plain
 * release). Given only the reservation's id (a crashed process left it open), it reads the
 * open holds first.
 */
export async function settle(tx: Db, options: { reservation: Reservation | string; actual: number; now: number; attribution?: ChargeAttribution }): Promise<number> {
  const reservation = typeof options.reservation === "string" ? await openReservation(tx, options.reservation) : options.reservation;
  if (reservation.accounts.length === 0) return 0;
  const charged = Math.max(0, Math.min(options.actual, reservation.amount));
  const attribution = options.attribution;
  if (isPostgres(tx)) {
    const units = attribution?.units ? JSON.stringify(attribution.units) : null;
    const [row] = (
      await settleAtOnce(tx, {
        reservationId: reservation.id,
        status: charged > 0 ? "settled" : "released",
        held: reservation.amount,
        charged,
        chargeId: randomUUID(),
        account: reservation.accounts[0]!,
        runId: attribution?.runId ?? null,
        stepKey: attribution?.stepKey ?? null,
        agent: attribution?.agent ?? null,
        subject: attribution?.subject ?? null,
        units,
        now: options.now,
      })
    ).rows;
    return Number(row?.closed ?? 0) > 0 ? charged : 0;
  }
  const closed = await closeHolds(tx, { reservationId: reservation.id, status: charged > 0 ? "settled" : "released", now: options.now });
  if (Number(closed.numAffectedRows) === 0) return 0;
  if (charged > 0 && attribution) {
    const units = attribution.units ? JSON.stringify(attribution.units) : null;
    await send(tx, insertCharge(tx, { ...attribution, id: randomUUID(), account: reservation.accounts[0]!, amount: charged, units, now: options.now }));
  }
  for (const account of reservation.accounts) await send(tx, chargeAccount(tx, { account, held: reservation.amount, charged }));
  return charged;
}

/** An open reservation read back from its holds, the money account first (cap accounts hold no money). */
async function openReservation(tx: Db, reservationId: string): Promise<Reservation> {
  const rows = await tx.selectFrom("holds").select(["account_id", "amount"]).where("reservation_id", "=", reservationId).where("status", "=", "open").execute();
  const accounts = rows.map((row) => row.account_id).sort((left, right) => Number(left.startsWith("cap:")) - Number(right.startsWith("cap:")));
  return { id: reservationId, amount: Number(rows[0]?.amount ?? 0), accounts };
}

/** Releases every open hold of a run: holds left by a crashed process. Returns how many reservations. */
export async function releaseRunHolds(tx: Db, options: { runId: string; now: number }): Promise<number> {
  const reservations = await tx.selectFrom("holds").select("reservation_id").distinct().where("run_id", "=", options.runId).where("status", "=", "open").execute();
  for (const { reservation_id } of reservations) await settle(tx, { reservation: reservation_id, actual: 0, now: options.now });
  return reservations.length;
}
