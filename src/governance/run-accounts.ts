import { lockSection } from "../store/store-lock.ts";
import { runTreeIds } from "../engine/run-records.ts";
import type { Db, Store } from "../store/store.ts";
import { appendAudit } from "./audit-log.ts";
import { revokeRunGrants } from "./grants.ts";
import { releaseRunHolds } from "./holds.ts";
import { callAccountsOfRun, ensureAccount, fund, getAccount, runAccount, runAccountsUsed, runSpend, sweep, transfer, treasuryAccount, workflowAccount } from "./ledger.ts";

/**
 * Creates the run's account and moves its budget into it (all or nothing): from the
 * workflow's account, or for a child workflow from its parent run, so a child can never
 * spend more than was carved out for it.
 */
export async function openRunAccount(tx: Db, options: { runId: string; workflow: string; perRun: number; now: number; parentRunId?: string | null }): Promise<void> {
  const source = options.parentRunId ? runAccount(options.parentRunId) : workflowAccount(options.workflow);
  await ensureAccount(tx, { id: workflowAccount(options.workflow), kind: "workflow", name: options.workflow, now: options.now });
  await ensureAccount(tx, { id: runAccount(options.runId), kind: "run", name: options.runId, runId: options.runId, parentId: source, now: options.now });
  await transfer(tx, { from: source, to: runAccount(options.runId), amount: options.perRun, level: options.parentRunId ? "run" : "workflow", now: options.now, runId: options.runId, note: options.parentRunId ? "carve child run" : "fund run" });
}

/** Returns what the run did not spend to where it came from: the workflow's account, or the parent run. */
export async function closeRunAccount(tx: Db, options: { runId: string; workflow: string; now: number; parentRunId?: string | null }): Promise<{ returned: number; spent: number }> {
  const destination = options.parentRunId ? runAccount(options.parentRunId) : workflowAccount(options.workflow);
  const returned = await sweep(tx, { from: runAccount(options.runId), to: destination, now: options.now, runId: options.runId });
  const spent = await runSpend(tx, options.runId);
  return { returned, spent };
}

/**
 * Before a run resumes: gives it back what it may still spend. A run that ended (failed)
 * returned its unspent money to its source; a resume moves from that source what the run's
 * budget still allows after everything the run and its child runs spent or still hold, so a
 * run's total spend never exceeds its budget however often it is resumed. Moves what the
 * source has, at most; returns what it moved.
 */
export async function refundRun(tx: Db, options: { runId: string; workflow: string; parentRunId: string | null; budget: number; now: number }): Promise<number> {
  const tree = await runTreeIds(tx, options.runId);
  const owed = options.budget - (await runAccountsUsed(tx, tree));
  if (owed <= 0) return 0;
  const source = options.parentRunId ? runAccount(options.parentRunId) : workflowAccount(options.workflow);
  const amount = Math.min(owed, (await getAccount(tx, source))?.balance ?? 0);
  if (amount > 0) await transfer(tx, { from: source, to: runAccount(options.runId), amount, level: options.parentRunId ? "run" : "workflow", now: options.now, runId: options.runId, note: "refund resumed run" });
  return amount;
}

/**
 * Cleans up after a crash before a run resumes: releases the holds its dead process left
 * open, returns the call sub-accounts' funds to the run and revokes the just-in-time grants
 * still live (the interrupted calls fund themselves and get their grants again when they re-run).
 */
export async function recoverRun(tx: Db, options: { runId: string; now: number }): Promise<{ releasedHolds: number; returnedMicros: number; revokedGrants: number }> {
  const releasedHolds = await releaseRunHolds(tx, options);
  const calls = await callAccountsOfRun(tx, options.runId);
  let returnedMicros = 0;
  for (const call of calls) returnedMicros += await sweep(tx, { from: call.id, to: runAccount(options.runId), now: options.now, runId: options.runId, agent: call.agent });
  const revokedGrants = await revokeRunGrants(tx, options);
  return { releasedHolds, returnedMicros, revokedGrants };
}

/**
 * Gives each workflow that declares `budget.allocation` its first allocation, the first time
 * a store sees it: a deposit into the treasury, then a transfer to the workflow's account.
 * Later top-ups are explicit (`cadre budget fund`), never automatic.
 */
export async function provisionWorkflowBudgets(store: Store, workflows: Array<{ name: string; budget?: { allocation?: number } }>, options: { now: number; principal: string }): Promise<void> {
  const pending: typeof workflows = [];
  for (const workflow of workflows) {
    if (!(await getAccount(store.db, workflowAccount(workflow.name)))) pending.push(workflow);
  }
  if (pending.length === 0) return;
  await store.transaction(async (tx) => {
    // Runtimes opening at once all see the account missing above; only the first may deposit.
    await lockSection(tx, store.dialect, "first-allocation");
    await ensureAccount(tx, { id: treasuryAccount, kind: "treasury", name: "treasury", now: options.now });
    for (const workflow of pending) {
      if (await getAccount(tx, workflowAccount(workflow.name))) continue;
      await ensureAccount(tx, { id: workflowAccount(workflow.name), kind: "workflow", name: workflow.name, now: options.now });
      const allocation = workflow.budget?.allocation ?? 0;
      if (allocation === 0) continue;
      await fund(tx, { amount: allocation, now: options.now, note: `first allocation for ${workflow.name}` });
      await transfer(tx, { from: treasuryAccount, to: workflowAccount(workflow.name), amount: allocation, level: "treasury", now: options.now, note: "allocate" });
      await appendAudit(tx, store.dialect, [{ kind: "budget.allocated", at: options.now, workflow: workflow.name, principal: options.principal, data: { amountMicros: allocation, source: "definition" } }]);
    }
  });
}
