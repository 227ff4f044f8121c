import { join } from "node:path";
import { startServeChild } from "../../helpers/serve-child.ts";

const sellerConfig = join(import.meta.dirname, "fixtures/seller.config.ts");

export interface SellerProcess {
  url: string;
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** The selling Cadre process: `cadre serve --config fixtures/seller.config.ts --pay-to seller --port 0` on its own store; resolves once it printed its URL. */
export async function startSeller(env: { store: string; price: number; payTo?: string }): Promise<SellerProcess> {
  const serve = startServeChild(["--config", sellerConfig, "--store", env.store, "--pay-to", env.payTo ?? "seller"], { ORACLE_PRICE: String(env.price) });
  return { url: await serve.url, output: serve.output, stop: serve.stop };
}
