import type { KeyObject } from "node:crypto";
import type { PaymentPayloadResult, PaymentRequirements, SchemeNetworkClient } from "@x402/core/types";
import { iouNonce, iouScheme, signIou } from "./iou.ts";

/**
 * The payer's side of `iou` on the SDK's client extension point: one instance per paying call,
 * since the nonce comes from the call's idempotency key (a retry signs the same nonce).
 */
export class IouClientScheme implements SchemeNetworkClient {
  readonly scheme = iouScheme;
  readonly #options: { agent: string; idempotencyKey: string; resource: () => string; key: () => Promise<KeyObject>; now: () => number };

  constructor(options: { agent: string; idempotencyKey: string; resource: () => string; key: () => Promise<KeyObject>; now: () => number }) {
    this.#options = options;
  }

  async createPaymentPayload(x402Version: number, requirements: PaymentRequirements): Promise<PaymentPayloadResult> {
    const { agent, idempotencyKey, now } = this.#options;
    const resource = this.#options.resource();
    const iou = signIou(
      {
        payer: agent,
        payTo: requirements.payTo,
        amount: requirements.amount,
        asset: requirements.asset,
        network: requirements.network,
        resource,
        request: typeof requirements.extra?.request === "string" ? requirements.extra.request : "",
        nonce: iouNonce(agent, idempotencyKey, resource),
        validBefore: now() + requirements.maxTimeoutSeconds * 1000,
      },
      await this.#options.key(),
    );
    return { x402Version, payload: { ...iou } };
  }
}
