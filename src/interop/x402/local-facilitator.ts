import { x402Facilitator } from "@x402/core/facilitator";
import type { FacilitatorClient } from "@x402/core/server";
import type { PaymentPayload, PaymentRequirements, SettleResponse, SupportedResponse, VerifyResponse } from "@x402/core/types";
import type { Store } from "../../store/store.ts";
import { cadreLedgerNetwork } from "./iou.ts";
import { IouFacilitatorScheme } from "./iou-facilitator.ts";

/**
 * What verifies and settles payments for a payee: the SDK's `FacilitatorClient` (verify,
 * settle, the kinds it supports). The local one settles `iou` in the payee's own store; an
 * `exact` payee on a real network passes `new HTTPFacilitatorClient({ url })` instead.
 */
export type Facilitator = FacilitatorClient;

/** The in-process facilitator of a Cadre store: the SDK's facilitator with the iou scheme registered on the Cadre ledger network. */
export function localFacilitator(options: { store: Store; now?: () => number }): Facilitator {
  const facilitator = new x402Facilitator().register(cadreLedgerNetwork, new IouFacilitatorScheme({ store: options.store, now: options.now ?? Date.now }));
  return {
    verify: (payload: PaymentPayload, requirements: PaymentRequirements): Promise<VerifyResponse> => facilitator.verify(payload, requirements),
    settle: (payload: PaymentPayload, requirements: PaymentRequirements): Promise<SettleResponse> => facilitator.settle(payload, requirements),
    getSupported: async (): Promise<SupportedResponse> => facilitator.getSupported() as SupportedResponse,
  };
}
