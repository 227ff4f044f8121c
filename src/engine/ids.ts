import { createHash, randomBytes } from "node:crypto";

/** A sortable, unique id: time prefix then randomness, e.g. `run_01jc…`. */
export function generateId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  return `${prefix}_${time}${randomBytes(8).toString("hex")}`;
}

/** The key a step's effect carries on every attempt, so outside systems can de-duplicate. */
export function idempotencyKeyFor(runId: string, stepKey: string): string {
  return createHash("sha256").update(`${runId}\u0000${stepKey}`).digest("hex").slice(0, 32);
}
