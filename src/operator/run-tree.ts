import { compareStepKeys, Journal, type JournalEntry } from "../engine/journal.ts";
import { forkIds, getRunRecord, listRunRecords, type RunRecord } from "../engine/run-records.ts";
import { runCharges, type StepCharge } from "../governance/reports.ts";
import type { Store } from "../store/store.ts";

/** A run with its journal (in tree order), its charges and its child runs: what `cadre show` draws. */
export interface RunTree {
  run: RunRecord;
  steps: JournalEntry[];
  charges: StepCharge[];
  children: RunTree[];
  /** Runs forked from this one (`cadre fork`), oldest first. */
  forks: string[];
}

/** Reads a run and every child run below it. Undefined when the run does not exist. */
export async function loadRunTree(store: Store, runId: string): Promise<RunTree | undefined> {
  const run = await getRunRecord(store.db, runId);
  if (!run) return undefined;
  const steps = await loadSteps(store, runId);
  const charges = await runCharges(store.db, runId);
  const children: RunTree[] = [];
  for (const child of await listRunRecords(store.db, { parentRunId: runId, limit: 10_000 })) {
    const tree = await loadRunTree(store, child.id);
    if (tree) children.push(tree);
  }
  return { run, steps, charges, children, forks: await forkIds(store.db, runId) };
}

/** The latest attempt of every step of a run, parents before the steps inside them. */
export async function loadSteps(store: Store, runId: string): Promise<JournalEntry[]> {
  return (await Journal.load(store, runId)).entries().sort((a, b) => compareStepKeys(a.key, b.key));
}
