/** Money is integer micro-units: 1 USD = 1,000,000. Never add floats in the ledger. */
export const microsPerDollar = 1_000_000;

/** Dollars (as written in config) to micro-units, rounded to the nearest micro. */
export function usd(dollars: number): number {
  return Math.round(dollars * microsPerDollar);
}

/** Micro-units as `$1.234567` trimmed to at least cents, for messages and tables. */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const absolute = Math.abs(Math.trunc(micros));
  const fraction = String(absolute % microsPerDollar).padStart(6, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${sign}$${Math.floor(absolute / microsPerDollar)}.${fraction}`;
}
