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

/** What an account has spent so far (0 when it does not exist yet). */
export async function accountSpent(db: Db, id: string): Promise<number> {
  const row = await db.selectFrom("accounts").select(["spent"]).where("id", "=", id).executeTakeFirst();
  return Number(row?.spent ?? 0);
}

/** What the accounts of these runs (their own and their calls' sub-accounts, not standing caps) hold and spent, together. */
export async function runAccountsUsed(db: Db, runIds: readonly string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  const row = await db
    .selectFrom("accounts")
    .select((eb) => eb.fn.sum<number>(eb("balance", "+", eb.ref("spent"))).as("total"))
    .where("run_id", "in", [...runIds])
    .where("kind", "!=", "cap")
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** The sub-accounts of a run's agent calls (those with a perCall budget), with the agent of each. */
export async function callAccountsOfRun(db: Db, runId: string): Promise<Array<{ id: string; agent: string | null }>> {
  return db.selectFrom("accounts").select(["id", "agent"]).where("run_id", "=", runId).where("kind", "=", "agent-run").execute();
}

/** Total charged to a run's accounts (its own and its calls' sub-accounts). */
export async function runSpend(db: Db, runId: string): Promise<number> {
  const row = await db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("run_id", "=", runId).where("kind", "=", "charge").executeTakeFirst();
  return Number(row?.total ?? 0);
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
  if (Number(taken.numUpdatedRows) !== 1) throw await insufficientFunds(tx, { ...options, account: options.from, askedMicros: options.amount });
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

/** The refusal of `account` to cover `askedMicros`, with what it holds right now. */
export async function insufficientFunds(
  tx: Db,
  options: { account: string; level: BudgetLevel; askedMicros: number; runId?: string | null; stepKey?: string | null; agent?: string | null },
): Promise<BudgetExceededError> {
  const row = await getAccount(tx, options.account);
  return new BudgetExceededError({
    level: options.level,
    account: options.account,
    askedMicros: options.askedMicros,
    availableMicros: row ? row.balance - row.reserved : 0,
    reservedMicros: row?.reserved ?? 0,
    agent: options.agent ?? null,
    runId: options.runId ?? null,
    stepKey: options.stepKey ?? null,
  });
}

/** Ledger amounts are non-negative integer micro-units: anything else is a programming error. */
export function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`Ledger amounts are non-negative integer micro-units; got ${amount}.`);
}
