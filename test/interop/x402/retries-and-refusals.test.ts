import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader, decodePaymentSignatureHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import type { PaymentPayload } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPaymentKey, openStore, Runtime, trustPayer, x402Payer, type Store } from "../../../src/index.ts";
import { iouNonce, privateKeyFrom, signIou, type IouTerms } from "../../../src/interop/x402/iou.ts";
import { cadre } from "../../helpers/cli.ts";
import { crashChild } from "../../helpers/crash.ts";
import { freshStoreLocation, type TestStoreLocation } from "../../helpers/stores.ts";
import { buyerDefinitions, oraclePrice, reachedPaid } from "./fixtures/buyer.ts";
import { startSeller, type SellerProcess } from "./seller-process.ts";

const buyerScript = join(import.meta.dirname, "fixtures/buyer.ts");

async function sellerLedger(location: string) {
  const store = await openStore(location, { readOnly: true });
  try {
    const payments = await store.db.selectFrom("x402_payments").selectAll().execute();
    const account = await store.db.selectFrom("accounts").select(["balance"]).where("id", "=", "x402:buyer").executeTakeFirst();
    const refusals = await store.db.selectFrom("audit_log").select(["data"]).where("kind", "=", "x402.refused").orderBy("seq").execute();
    return { payments: payments.map((payment) => payment.transaction_id), received: Number(account?.balance ?? 0), refusals: refusals.map((row) => JSON.parse(row.data) as { reason: string; payer?: string }) };
  } finally {
    await store.close();
  }
}

describe("x402 payments across two stores: retries pay once; forged, tampered, expired and replayed payments are refused", () => {
  let sellerStore: TestStoreLocation;
  let buyerStore: TestStoreLocation;
  let buyerKeys: Store;
  let seller: SellerProcess;
  let credential: string;
  let authorization: string;
  let buyerPrivateKey: string;

  beforeAll(async () => {
    sellerStore = await freshStoreLocation("sqlite");
    buyerStore = await freshStoreLocation("sqlite");
    buyerKeys = await openStore(buyerStore.location);
    const key = await createPaymentKey(buyerKeys.db, "buyer", Date.now());
    buyerPrivateKey = (await buyerKeys.db.selectFrom("x402_keys").select("private_key").where("agent", "=", "buyer").executeTakeFirstOrThrow()).private_key;
    const sellerSetup = await openStore(sellerStore.location);
    await trustPayer(sellerSetup.db, { payer: "buyer", publicKey: key.publicKey, by: "operator:tests", now: Date.now() });
    await sellerSetup.close();
    const operatorKey = cadre(["keys", "create", "--operator", "buyer-org", "--role", "operator", "--store", sellerStore.location]);
    expect(operatorKey.status, operatorKey.stderr).toBe(0);
    credential = operatorKey.stdout.trim();
    authorization = `Bearer ${credential}`;
    seller = await startSeller({ store: sellerStore.location, price: oraclePrice });
  }, 120_000);

  afterAll(async () => {
    await buyerKeys?.close();
    await seller?.stop();
    await sellerStore?.cleanup();
    await buyerStore?.cleanup();
  });

  /** An A2A SendMessage for a question, as JSON-RPC (the message id names the question: the same question is the same task). */
  const sendMessage = (question: string, id: number | string = 7) => JSON.stringify({ jsonrpc: "2.0", id, method: "SendMessage", params: { message: { messageId: `ask-${question}`, role: "ROLE_USER", parts: [{ data: { question }, mediaType: "application/json" }] } } });
  const a2aHeaders = () => ({ authorization, "content-type": "application/json", "a2a-version": "1.0" });
  const call = (question: string, headers: Record<string, string> = {}, id: number | string = 7) => fetch(`${seller.url}/a2a/oracle`, { method: "POST", headers: { ...a2aHeaders(), ...headers }, body: sendMessage(question, id) });

  /** The terms the seller asks for a question, and an IOU for them signed with `key`. */
  async function iouFor(question: string, change: Partial<IouTerms> & { key?: string } = {}): Promise<string> {
    const unpaid = await call(question);
    expect(unpaid.status).toBe(402);
    const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required")!);
    const accepted = required.accepts[0]!;
    const { key, ...terms } = change;
    const iou = signIou(
      { payer: "buyer", payTo: accepted.payTo, amount: accepted.amount, asset: accepted.asset, network: accepted.network, resource: String(accepted.extra.resource), request: String(accepted.extra.request), nonce: iouNonce("buyer", `hand-made-${question}`, `${seller.url}/a2a/oracle`), validBefore: Date.now() + 60_000, ...terms },
      privateKeyFrom(key ?? buyerPrivateKey),
    );
    const payload: PaymentPayload = { x402Version: required.x402Version, resource: required.resource, accepted, payload: { ...iou } };
    return encodePaymentSignatureHeader(payload);
  }

  it("an unpaid call gets 402 with the requirements; a forged, tampered or expired IOU is refused with the reason, audited, and settles nothing", async () => {
    const unpaid = await call("free?");
    expect(unpaid.status).toBe(402);
    const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required")!);
    expect(required.accepts).toEqual([expect.objectContaining({ scheme: "iou", network: "cadre:ledger", asset: "micro-usd", amount: String(oraclePrice), payTo: "seller" })]);

    const attacker = generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    const forged = await call("forged", { "payment-signature": await iouFor("forged", { key: attacker }) });
    expect(forged.status).toBe(402);
    expect(decodePaymentRequiredHeader(forged.headers.get("payment-required")!).error).toBe("invalid_signature");

    const cheaper = await call("cheaper", { "payment-signature": await iouFor("cheaper", { amount: String(oraclePrice - 1) }) });
    expect(cheaper.status).toBe(402);
    expect(decodePaymentRequiredHeader(cheaper.headers.get("payment-required")!).error).toBe("payment_mismatch");

    const elsewhere = await call("elsewhere", { "payment-signature": await iouFor("elsewhere", { payTo: "someone-else" }) });
    expect(decodePaymentRequiredHeader(elsewhere.headers.get("payment-required")!).error).toBe("payment_mismatch");

    const expired = await call("expired", { "payment-signature": await iouFor("expired", { validBefore: Date.now() - 1 }) });
    expect(expired.status).toBe(402);
    expect(decodePaymentRequiredHeader(expired.headers.get("payment-required")!).error).toBe("payment_expired");

    const ledger = await sellerLedger(sellerStore.location);
    expect(ledger.refusals.map((refusal) => [refusal.reason, refusal.payer])).toEqual([
      ["invalid_signature", "buyer"],
      ["payment_mismatch", "buyer"],
      ["payment_mismatch", "buyer"],
      ["payment_expired", "buyer"],
    ]);
    expect(ledger.payments).toEqual([]);
    expect(ledger.received).toBe(0);
  }, 120_000);

  it("a payment replayed for another request is refused; the same payment for the same request settles once; a nonce reused for another request is refused", async () => {
    const sent: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      const header = new Headers(init?.headers).get("payment-signature");
      if (header) sent.push(header);
      return fetch(input, init);
    };
    const payer = x402Payer({ store: buyerKeys, fetch: recording });
    const session = payer.session({ maxMicros: oraclePrice, idempotencyKey: "replay-key", agent: "buyer" });
    const paid = await session.fetch(`${seller.url}/a2a/oracle`, { method: "POST", headers: a2aHeaders(), body: sendMessage("first") });
    expect(paid.status).toBe(200);
    expect(session.paid()).toBe(oraclePrice);
    const receipt = decodePaymentResponseHeader(paid.headers.get("payment-response")!);
    expect(receipt).toMatchObject({ success: true, payer: "buyer", amount: String(oraclePrice) });
    expect(sent).toHaveLength(1);
    expect(decodePaymentSignatureHeader(sent[0]!).payload.payer).toBe("buyer");

    // The captured payment, presented for another question: it pays for one request only.
    const replayed = await call("second", { "payment-signature": sent[0]! });
    expect(replayed.status).toBe(402);
    expect(decodePaymentRequiredHeader(replayed.headers.get("payment-required")!).error).toBe("payment_mismatch");
    // Presented again for the same request (a client retrying, which numbers its JSON-RPC call anew): the same task and receipt, settled once.
    const first = (await paid.json()) as { id: unknown; result: { task: { id: string; status: { state: string } } } };
    expect(first.result.task.status.state).toBe("TASK_STATE_COMPLETED");
    const again = await call("first", { "payment-signature": sent[0]! }, 8);
    expect(again.status).toBe(200);
    expect(decodePaymentResponseHeader(again.headers.get("payment-response")!).transaction).toBe(receipt.transaction);
    const second = (await again.json()) as typeof first;
    expect(second.id).toBe(8);
    expect(second.result).toEqual(first.result);

    // The payer signing the same nonce (same idempotency key) for another request: a replayed nonce.
    const reused = payer.session({ maxMicros: oraclePrice, idempotencyKey: "replay-key", agent: "buyer" });
    const refusal = await reused.fetch(`${seller.url}/a2a/oracle`, { method: "POST", headers: a2aHeaders(), body: sendMessage("other") }).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: "PAYMENT_REFUSED", details: { reason: "nonce_already_used" } });
    expect(reused.paid()).toBe(0);

    const ledger = await sellerLedger(sellerStore.location);
    expect(ledger.payments).toEqual([receipt.transaction]);
    expect(ledger.received).toBe(oraclePrice);
    expect(ledger.refusals.slice(-2).map((entry) => entry.reason)).toEqual(["payment_mismatch", "nonce_already_used"]);
  }, 120_000);

  it("a buyer killed (SIGKILL) after the seller settled its payment resumes and presents the same payment: one settlement, one charge", async () => {
    const before = await sellerLedger(sellerStore.location);
    const marker = join(mkdtempSync(join(tmpdir(), "cadre-x402-")), "paid.log");
    const runId = await crashChild({ script: buyerScript, args: [buyerStore.location, seller.url, credential, marker], reached: () => reachedPaid(marker), what: "the seller to answer the buyer's paid call" });
    expect(runId).toMatch(/^run_/);
    const settledOnce = await sellerLedger(sellerStore.location);
    expect(settledOnce.payments.length).toBe(before.payments.length + 1);

    let runtime: Runtime | undefined;
    const { buyer, ask } = buyerDefinitions({ sellerUrl: seller.url, credential, payer: x402Payer({ store: () => runtime!.store }) });
    await buyerKeys.close();
    runtime = await Runtime.open({ store: buyerStore.location, agents: [buyer], workflows: [ask] });
    try {
      const result = await (await runtime.resume(runId, { force: true })).result();
      expect(result).toMatchObject({ status: "completed", output: { answer: "42 (you asked: will it pay twice?)" } });
      await runtime.store.flush();
      const steps = await runtime.getSteps(runId);
      const toolStep = steps.find((step) => step.name === "a2a.buyer")!;
      // The resumed call sent the same message (same id, so the seller's same task) with the same payment.
      expect(toolStep).toMatchObject({ status: "completed", attempt: 2, output: { paidMicros: oraclePrice, taskId: expect.stringMatching(/^run_a2a_/) } });
      const sellerRuns = JSON.parse(cadre(["runs", "--workflow", "agent-oracle", "--json", "--store", sellerStore.location]).stdout) as { items?: Array<{ id: string }> } | Array<{ id: string }>;
      expect((Array.isArray(sellerRuns) ? sellerRuns : (sellerRuns.items ?? [])).filter((run) => run.id === (toolStep.output as { taskId: string }).taskId)).toHaveLength(1);
      const after = await sellerLedger(sellerStore.location);
      expect(after.payments).toEqual(settledOnce.payments);
      expect(after.received - before.received).toBe(oraclePrice);
      const charges = await runtime.store.db.selectFrom("ledger_entries").select(["amount"]).where("kind", "=", "charge").where("run_id", "=", runId).execute();
      expect(charges.map((charge) => Number(charge.amount))).toEqual([oraclePrice]);
      const open = await runtime.store.db.selectFrom("holds").select("id").where("status", "=", "open").execute();
      expect(open).toEqual([]);
    } finally {
      await runtime.close();
      buyerKeys = await openStore(buyerStore.location);
    }
  }, 180_000);
});
