import { spendReport } from "../governance/reports.ts";
import type { Db } from "../store/store.ts";

/** What a run cost, child runs included: every charge settled in the ledger, with model tokens. */
export interface RunCost {
  spentMicros: number;
  charges: number;
  inputTokens: number;
  outputTokens: number;
}

export async function runCost(db: Db, runId: string): Promise<RunCost> {
  const total: RunCost = { spentMicros: 0, charges: 0, inputTokens: 0, outputTokens: 0 };
  for (const row of await spendReport(db, { by: "run", runId })) {
    total.spentMicros += row.spentMicros;
    total.charges += row.calls;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
  }
  return total;
}
