import type { Network, PaymentPayload, PaymentRequirements, SchemeNetworkFacilitator, SettleResponse, VerifyResponse } from "@x402/core/types";
import type { Store } from "../../store/store.ts";
import { iouScheme, iouSignatureValid, readIou, type Iou } from "./iou.ts";
import { trustedPayerKey } from "./payment-keys.ts";
import { receivedPayment, settleIou } from "./payments-received.ts";

/** The x402 reason codes the iou scheme refuses with (in 402 answers and audit records). */
export type IouRefusal = "invalid_payload" | "payment_mismatch" | "payment_expired" | "unknown_payer" | "invalid_signature" | "nonce_already_used";

/**
 * The payee's facilitator for `iou`, on the SDK's facilitator extension point: verifies an IOU
 * against the public key this store trusts for its payer, and settles it in this store's
 * ledger (see payments-received.ts). Everything it decides is a pure function of the store and the clock.
 */
export class IouFacilitatorScheme implements SchemeNetworkFacilitator {
  readonly scheme = iouScheme;
  readonly caipFamily = "cadre:*";
  readonly #store: Store;
  readonly #now: () => number;

  constructor(options: { store: Store; now: () => number }) {
    this.#store = options.store;
    this.#now = options.now;
  }

  getExtra(): undefined {
    return undefined;
  }

  getSigners(): string[] {
    return [];
  }

  async verify(payload: PaymentPayload, requirements: PaymentRequirements): Promise<VerifyResponse> {
    const checked = await this.#check(payload, requirements);
    return checked.ok ? { isValid: true, payer: checked.iou.payer } : { isValid: false, invalidReason: checked.reason, invalidMessage: checked.message, ...(checked.payer ? { payer: checked.payer } : {}) };
  }

  async settle(payload: PaymentPayload, requirements: PaymentRequirements): Promise<SettleResponse> {
    const network = requirements.network as Network;
    // Checked again: settling is the decision that moves money, whatever was verified before.
    const checked = await this.#check(payload, requirements);
    if (!checked.ok) return { success: false, errorReason: checked.reason, errorMessage: checked.message, transaction: "", network, ...(checked.payer ? { payer: checked.payer } : {}) };
    const iou = checked.iou;
    const outcome = await this.#store.transaction((tx) => settleIou(tx, this.#store.dialect, { iou, now: this.#now() }));
    if (outcome.kind === "replayed") return { success: false, errorReason: "nonce_already_used", errorMessage: `The nonce of this IOU was settled for another request (${outcome.payment.transactionId}).`, transaction: "", network, payer: iou.payer };
    return { success: true, transaction: outcome.payment.transactionId, network, payer: iou.payer, amount: String(outcome.payment.amount) };
  }

  async #check(payload: PaymentPayload, requirements: PaymentRequirements): Promise<{ ok: true; iou: Iou } | { ok: false; reason: IouRefusal; message: string; payer?: string }> {
    const iou = readIou(payload.payload);
    if (!iou) return { ok: false, reason: "invalid_payload", message: "The payment payload is not an IOU (payer, payTo, amount, asset, network, resource, request, nonce, validBefore, signature)." };
    const expected: Record<string, unknown> = { payTo: requirements.payTo, amount: requirements.amount, asset: requirements.asset, network: requirements.network, resource: requirements.extra?.resource, request: requirements.extra?.request };
    for (const [field, value] of Object.entries(expected)) {
      if (iou[field as keyof Iou] !== value) return { ok: false, reason: "payment_mismatch", message: `The IOU's ${field} is ${JSON.stringify(iou[field as keyof Iou])}; this request requires ${JSON.stringify(value)}.`, payer: iou.payer };
    }
    if (iou.validBefore <= this.#now()) return { ok: false, reason: "payment_expired", message: `The IOU expired at ${new Date(iou.validBefore).toISOString()}.`, payer: iou.payer };
    const key = await trustedPayerKey(this.#store.db, iou.payer);
    if (!key) return { ok: false, reason: "unknown_payer", message: `This store does not trust payer ${iou.payer}: add its public key with \`cadre x402 trust ${iou.payer} <publicKey>\`.`, payer: iou.payer };
    if (!iouSignatureValid(iou, key)) return { ok: false, reason: "invalid_signature", message: `The IOU's signature does not verify against the key trusted for ${iou.payer}.`, payer: iou.payer };
    const earlier = await receivedPayment(this.#store.db, iou.payer, iou.nonce);
    if (earlier && (earlier.request !== iou.request || earlier.resource !== iou.resource)) return { ok: false, reason: "nonce_already_used", message: `The nonce of this IOU was settled for another request (${earlier.transactionId}).`, payer: iou.payer };
    return { ok: true, iou };
  }
}
