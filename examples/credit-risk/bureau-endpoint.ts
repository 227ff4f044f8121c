import { startBureauServer, type BureauServer } from "./bureau-server.ts";

let local: Promise<BureauServer> | undefined;

/**
 * The bureau's base URL: CADRE_BUREAU_URL when set, otherwise a local demo bureau started
 * on first use in this process (so `cadre run credit-decision` works with no setup).
 */
export async function bureauUrl(): Promise<string> {
  if (process.env.CADRE_BUREAU_URL) return process.env.CADRE_BUREAU_URL;
  local ??= startBureauServer({ chaos: process.env.CADRE_CHAOS ? { failureRate: Number(process.env.CADRE_CHAOS) || 0.6 } : undefined, unref: true });
  return (await local).url;
}
