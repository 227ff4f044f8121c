import { x402Client, x402HTTPClient } from "@x402/core/client";
import type { PaymentRequired } from "@x402/core/types";
import type { Store } from "../../store/store.ts";
import type { HttpPayer, PaymentLimits, PaymentSession } from "../http-payer.ts";
import { cadreLedgerNetwork, iouScheme, microUnitsAsset } from "./iou.ts";
import { IouClientScheme } from "./iou-client.ts";
import { signingKey } from "./payment-keys.ts";
import { PaymentAboveCapError, PaymentRefusedError } from "./x402-errors.ts";

export interface X402PayerOptions {
  /** The store holding the paying agents' payment keys (`cadre x402 keys create <agent>`); a function when it opens later (`() => runtime.store`). */
  store: Store | (() => Store);
  /** The clock IOUs' expiry is counted from (default Date.now). */
  now?: () => number;
  /** The fetch used for the requests (default the global one). */
  fetch?: typeof fetch;
}

/**
 * Pays for HTTP resources that answer 402 with the `iou` scheme: the payment requirements are
 * read with the SDK's HTTP client, a price above the call's cap is refused before anything is
 * signed (PAYMENT_ABOVE_CAP), the IOU is signed with the agent's payment key and a nonce from
 * the call's idempotency key (a retried call presents the same payment, which the payee settles
 * once), and what the payee's PAYMENT-RESPONSE says was settled is what the session paid.
 */
export function x402Payer(options: X402PayerOptions): HttpPayer {
  const store = () => (typeof options.store === "function" ? options.store() : options.store);
  const now = options.now ?? Date.now;
  const send = options.fetch ?? fetch;
  return {
    session(limits: PaymentLimits): PaymentSession {
      let paid = 0;
      const paidFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const request = new Request(input, init);
        const body = request.body ? await request.text() : undefined;
        const attempt = (extra: Record<string, string>) => {
          const headers = new Headers(request.headers);
          for (const [name, value] of Object.entries(extra)) headers.set(name, value);
          return send(request.url, { method: request.method, headers, ...(body !== undefined ? { body } : {}), ...(limits.signal ? { signal: limits.signal } : {}) });
        };
        const first = await attempt({});
        if (first.status !== 402) return first;
        const scheme = new IouClientScheme({ agent: limits.agent, idempotencyKey: limits.idempotencyKey, resource: () => request.url, key: () => signingKey(store().db, limits.agent), now });
        const client = new x402HTTPClient(
          x402Client.fromConfig({
            schemes: [{ network: cadreLedgerNetwork, client: scheme }],
            // The SDK's own spend control enforces the cap too; the check below names the refusal first.
            spendControls: { allowedAssets: [{ network: cadreLedgerNetwork, asset: microUnitsAsset, maxAmountPerPayment: String(limits.maxMicros) }] },
          }),
        );
        const required = client.getPaymentRequiredResponse((name) => first.headers.get(name), await first.json().catch(() => undefined));
        const offers = required.accepts.filter((accept) => accept.scheme === iouScheme && accept.network === cadreLedgerNetwork && accept.asset === microUnitsAsset);
        if (offers.length === 0) throw new PaymentRefusedError({ message: `${request.url} asks to be paid in ${describeAccepts(required)}; this payer pays ${iouScheme} on ${cadreLedgerNetwork} only.`, reason: "unsupported_scheme", url: request.url, agent: limits.agent });
        const cheapest = Math.min(...offers.map((offer) => Number(offer.amount)));
        if (!(cheapest <= limits.maxMicros)) throw new PaymentAboveCapError({ url: request.url, askedMicros: cheapest, capMicros: limits.maxMicros, agent: limits.agent });
        const payment = await client.createPaymentPayload({ ...required, accepts: offers });
        const second = await attempt(client.encodePaymentSignatureHeader(payment));
        if (second.status === 402) {
          const answer: unknown = await second.json().catch(() => undefined);
          const refusal = client.getPaymentRequiredResponse((name) => second.headers.get(name), answer);
          const said = typeof (answer as { message?: unknown } | undefined)?.message === "string" ? ` (${(answer as { message: string }).message})` : "";
          throw new PaymentRefusedError({ message: `${request.url} refused the payment of agent ${limits.agent}: ${refusal.error ?? "no reason given"}${said}.`, reason: refusal.error ?? "refused", url: request.url, agent: limits.agent });
        }
        if (second.headers.get("payment-response")) {
          const settlement = client.getPaymentSettleResponse((name) => second.headers.get(name));
          if (settlement.success) paid += Number(settlement.amount ?? payment.accepted.amount);
        }
        return second;
      };
      return { fetch: paidFetch as typeof fetch, paid: () => paid };
    },
  };
}

function describeAccepts(required: PaymentRequired): string {
  return required.accepts.map((accept) => `${accept.scheme} on ${accept.network}`).join(", ") || "nothing";
}
