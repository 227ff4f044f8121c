import { generateKeyPairSync } from "node:crypto";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { afterEach, describe, expect, it } from "vitest";
import { createPaymentKey, localFacilitator, trustPayer } from "../../../src/index.ts";
import { iouNonce, privateKeyFrom, signIou, type IouTerms } from "../../../src/interop/x402/iou.ts";
import { dialects, openTestStore } from "../../helpers/stores.ts";

const resource = "http://127.0.0.1:1/a2a/oracle";
const requirements: PaymentRequirements = { scheme: "iou", network: "cadre:ledger", asset: "micro-usd", amount: "1000", payTo: "seller", maxTimeoutSeconds: 60, extra: { resource, request: "digest-of-request-a" } };

describe.each(await dialects())("the local iou facilitator on %s: verify against trusted keys, settle once in the payee's ledger", (dialect) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setup(options: { sameStore?: boolean } = {}) {
    const payee = await openTestStore(dialect);
    const payerStore = options.sameStore ? payee : await openTestStore(dialect);
    close = async () => {
      await payee.close();
      if (payerStore !== payee) await payerStore.close();
    };
    let now = 1_000_000;
    const key = await createPaymentKey(payerStore.store.db, "buyer", now);
    const privateKey = privateKeyFrom((await payerStore.store.db.selectFrom("x402_keys").select("private_key").where("agent", "=", "buyer").executeTakeFirstOrThrow()).private_key);
    const facilitator = localFacilitator({ store: payee.store, now: () => now });
    const pay = (terms: Partial<IouTerms> = {}, signer = privateKey): PaymentPayload => ({
      x402Version: 2,
      accepted: requirements,
      payload: { ...signIou({ payer: "buyer", payTo: "seller", amount: "1000", asset: "micro-usd", network: "cadre:ledger", resource, request: "digest-of-request-a", nonce: iouNonce("buyer", "key-1", resource), validBefore: now + 60_000, ...terms }, signer) },
    });
    return { store: payee.store, facilitator, pay, publicKey: key.publicKey, advance: (ms: number) => (now += ms) };
  }

  it("refuses an unknown payer, then verifies and settles once: a retry is the same settlement, the nonce for another request a replay", async () => {
    const { store, facilitator, pay, publicKey } = await setup();
    expect(await facilitator.verify(pay(), requirements)).toMatchObject({ isValid: false, invalidReason: "unknown_payer", payer: "buyer" });
    await trustPayer(store.db, { payer: "buyer", publicKey, by: "operator:tests", now: 1 });
    expect(await facilitator.verify(pay(), requirements)).toEqual({ isValid: true, payer: "buyer" });

    const first = await facilitator.settle(pay(), requirements);
    expect(first).toMatchObject({ success: true, payer: "buyer", amount: "1000", network: "cadre:ledger" });
    const retry = await facilitator.settle(pay(), requirements);
    expect(retry).toEqual(first);
    const account = await store.db.selectFrom("accounts").select(["balance", "kind"]).where("id", "=", "x402:buyer").executeTakeFirstOrThrow();
    expect({ balance: Number(account.balance), kind: account.kind }).toEqual({ balance: 1000, kind: "revenue" });
    const deposits = await store.db.selectFrom("ledger_entries").select(["amount", "to_account"]).where("kind", "=", "fund").execute();
    expect(deposits.map((entry) => [Number(entry.amount), entry.to_account])).toEqual([[1000, "x402:buyer"]]);

    const otherRequest = { ...requirements, extra: { resource, request: "digest-of-request-b" } };
    const replay = pay({ request: "digest-of-request-b" });
    expect(await facilitator.verify(replay, otherRequest)).toMatchObject({ isValid: false, invalidReason: "nonce_already_used" });
    expect(await facilitator.settle(replay, otherRequest)).toMatchObject({ success: false, errorReason: "nonce_already_used" });
    const settled = await store.db.selectFrom("audit_log").select("kind").where("kind", "=", "x402.settled").execute();
    expect(settled).toHaveLength(1);
  });

  it("refuses a forged signature, other terms, an expired IOU and a payload that is not an IOU", async () => {
    const { store, facilitator, pay, publicKey, advance } = await setup();
    await trustPayer(store.db, { payer: "buyer", publicKey, by: "operator:tests", now: 1 });
    const attacker = generateKeyPairSync("ed25519").privateKey;
    expect(await facilitator.verify(pay({}, attacker), requirements)).toMatchObject({ isValid: false, invalidReason: "invalid_signature" });
    expect(await facilitator.verify(pay({ amount: "999" }), requirements)).toMatchObject({ isValid: false, invalidReason: "payment_mismatch" });
    expect(await facilitator.verify(pay({ resource: "http://127.0.0.1:1/a2a/other" }), requirements)).toMatchObject({ isValid: false, invalidReason: "payment_mismatch" });
    const tampered = pay();
    tampered.payload.amount = "1";
    expect(await facilitator.verify(tampered, { ...requirements, amount: "1" })).toMatchObject({ isValid: false, invalidReason: "invalid_signature" });
    expect(await facilitator.verify({ ...pay(), payload: { payer: "buyer" } }, requirements)).toMatchObject({ isValid: false, invalidReason: "invalid_payload" });
    const soon = pay();
    advance(60_000);
    expect(await facilitator.verify(soon, requirements)).toMatchObject({ isValid: false, invalidReason: "payment_expired" });
    expect(await facilitator.settle(soon, requirements)).toMatchObject({ success: false, errorReason: "payment_expired" });
    expect(await store.db.selectFrom("x402_payments").selectAll().execute()).toEqual([]);
  });

  it("an agent of the payee's own store pays with the key it has there, trusted without `trust`; a forgery still fails", async () => {
    const { facilitator, pay } = await setup({ sameStore: true });
    expect(await facilitator.verify(pay(), requirements)).toEqual({ isValid: true, payer: "buyer" });
    expect(await facilitator.verify(pay({}, generateKeyPairSync("ed25519").privateKey), requirements)).toMatchObject({ isValid: false, invalidReason: "invalid_signature" });
    expect(await facilitator.settle(pay(), requirements)).toMatchObject({ success: true, amount: "1000" });
  });

  it("refuses to trust a key that is not an Ed25519 public key", async () => {
    const { store } = await setup();
    await expect(trustPayer(store.db, { payer: "buyer", publicKey: "not-a-key", by: "t", now: 1 })).rejects.toMatchObject({ code: "CONFIGURATION", details: { payer: "buyer", field: "publicKey" } });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "der", type: "spki" }).toString("base64");
    await expect(trustPayer(store.db, { payer: "buyer", publicKey: rsa, by: "t", now: 1 })).rejects.toMatchObject({ code: "CONFIGURATION" });
  });
});
