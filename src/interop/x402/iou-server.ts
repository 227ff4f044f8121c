import type { AssetAmount, Network, PaymentRequirements, Price, SchemeNetworkServer } from "@x402/core/types";
import { microUnitsAsset, iouScheme } from "./iou.ts";

/**
 * The payee's side of `iou` on the SDK's resource-server extension point. Prices are Cadre
 * micro-units (a whole number, or `{ amount, asset: "micro-usd" }`); the flow is x402's
 * `authorization`: verified before the work, settled after it succeeded.
 */
export class IouServerScheme implements SchemeNetworkServer {
  readonly scheme = iouScheme;
  readonly defaultAssetTransferMethod = "default";
  readonly paymentFlows = { default: { supported: ["authorization"], default: "authorization" } } as const;

  async parsePrice(price: Price, network: Network): Promise<AssetAmount> {
    if (typeof price === "object") {
      if (price.asset !== microUnitsAsset) throw new RangeError(`The iou scheme on ${network} prices in ${microUnitsAsset}, not ${price.asset}.`);
      return { amount: price.amount, asset: microUnitsAsset };
    }
    const micros = typeof price === "number" ? price : Number(price);
    if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`The iou scheme prices in whole micro-units; got ${String(price)}.`);
    return { amount: String(micros), asset: microUnitsAsset };
  }

  async enhancePaymentRequirements(requirements: PaymentRequirements): Promise<PaymentRequirements> {
    return requirements;
  }
}
