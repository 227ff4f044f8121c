import { Journal, type JournalEntry } from "../engine/journal.ts";
import { getRunRecord, listRunRecords, type RunRecord } from "../engine/run-records.ts";
import type { Store } from "../store/store.ts";
import { compareKeys } from "./step-order.ts";

/** A charge settled for one step, as the ledger holds it. */
export interface StepCharge {
  stepKey: string | null;
  amountMicros: number;
  /** `model:<id>` or `tool:<name>`. */
  subject: string | null;
}

/** A run with its journal, its charges and its child runs, for `cadre show`. */
export interface RunTree {
  run: RunRecord;
  steps: JournalEntry[];
  charges: StepCharge[];
  children: RunTree[];
}

/** Reads a run and every child run below it. Undefined when the run does not exist. */
export async function loadRunTree(store: Store, runId: string): Promise<RunTree | undefined> {
  const run = await getRunRecord(store.db, runId);
  if (!run) return undefined;
  const steps = (await Journal.load(store, runId)).entries().sort((a, b) => compareKeys(a.key, b.key));
  const charges = await store.db.selectFrom("ledger_entries").select(["step_key", "amount", "subject"]).where("kind", "=", "charge").where("run_id", "=", runId).execute();
  const children: RunTree[] = [];
  for (const child of await listRunRecords(store.db, { parentRunId: runId, limit: 10_000 })) {
    const tree = await loadRunTree(store, child.id);
    if (tree) children.push(tree);
  }
  return { run, steps, charges: charges.map((row) => ({ stepKey: row.step_key, amountMicros: Number(row.amount), subject: row.subject })), children };
}
