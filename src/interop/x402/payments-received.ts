import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { appendAudit } from "../../governance/audit-log.ts";
import { ensureAccount } from "../../governance/ledger.ts";
import type { Db, StoreDialect } from "../../store/store.ts";
import type { Iou } from "./iou.ts";

/** The ledger account a payer's payments to this store are received in (its revenue from that payer). */
export const receivedFromAccount = (payer: string) => `x402:${payer}`;

/** A payment this store settled. */
export interface ReceivedPayment {
  payer: string;
  nonce: string;
  payTo: string;
  amount: number;
  resource: string;
  request: string;
  transactionId: string;
  settledAt: number;
}

/** What settling an IOU did: recorded now, found already settled for the same request (a retry), or refused as a replay. */
export type SettleOutcome = { kind: "settled" | "already-settled"; payment: ReceivedPayment } | { kind: "replayed"; payment: ReceivedPayment };

/** The payment settled for this payer's nonce, if any. */
export async function receivedPayment(db: Db, payer: string, nonce: string): Promise<ReceivedPayment | undefined> {
  const row = await db.selectFrom("x402_payments").selectAll().where("payer", "=", payer).where("nonce", "=", nonce).executeTakeFirst();
  return row ? toPayment(row) : undefined;
}

export async function receivedPayments(db: Db, options: { payer?: string; limit?: number } = {}): Promise<ReceivedPayment[]> {
  let query = db.selectFrom("x402_payments").selectAll().orderBy("settled_at", "desc").limit(options.limit ?? 100);
  if (options.payer) query = query.where("payer", "=", options.payer);
  return (await query.execute()).map(toPayment);
}

/**
 * Settles a verified IOU in one transaction: the payment row (one per payer and nonce: a
 * payment settles once), the money received into the payer's revenue account (a deposit from
 * outside this store's ledger) and the audit record. A nonce already settled for the same
 * request is that settlement again (a retried call), moving nothing; for another request it is a replay.
 */
export async function settleIou(tx: Db, dialect: StoreDialect, options: { iou: Iou; now: number }): Promise<SettleOutcome> {
  const { iou, now } = options;
  const payment: ReceivedPayment = { payer: iou.payer, nonce: iou.nonce, payTo: iou.payTo, amount: Number(iou.amount), resource: iou.resource, request: iou.request, transactionId: `iou:${randomUUID()}`, settledAt: now };
  const inserted = await tx
    .insertInto("x402_payments")
    .values({ payer: payment.payer, nonce: payment.nonce, pay_to: payment.payTo, amount: payment.amount, resource: payment.resource, request: payment.request, transaction_id: payment.transactionId, settled_at: now })
    .onConflict((conflict) => conflict.columns(["payer", "nonce"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) {
    const earlier = (await receivedPayment(tx, iou.payer, iou.nonce))!;
    return earlier.request === iou.request && earlier.resource === iou.resource ? { kind: "already-settled", payment: earlier } : { kind: "replayed", payment: earlier };
  }
  const account = receivedFromAccount(iou.payer);
  await ensureAccount(tx, { id: account, kind: "revenue", name: `x402 payments from ${iou.payer}`, agent: null, now });
  await tx.updateTable("accounts").set({ balance: sql`balance + ${payment.amount}` }).where("id", "=", account).execute();
  await tx
    .insertInto("ledger_entries")
    .values({ id: randomUUID(), kind: "fund", from_account: null, to_account: account, amount: payment.amount, run_id: null, step_key: null, agent: null, subject: `x402:${payment.transactionId}`, units: null, created_at: now })
    .execute();
  await appendAudit(tx, dialect, [{ kind: "x402.settled", at: now, principal: `payer:${iou.payer}`, data: { payer: iou.payer, payTo: iou.payTo, amountMicros: payment.amount, resource: iou.resource, nonce: iou.nonce, transaction: payment.transactionId, account } }]);
  return { kind: "settled", payment };
}

function toPayment(row: { payer: string; nonce: string; pay_to: string; amount: number; resource: string; request: string; transaction_id: string; settled_at: number }): ReceivedPayment {
  return { payer: row.payer, nonce: row.nonce, payTo: row.pay_to, amount: Number(row.amount), resource: row.resource, request: row.request, transactionId: row.transaction_id, settledAt: Number(row.settled_at) };
}
