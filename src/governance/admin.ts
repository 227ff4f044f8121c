import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.ts";
import { appendAudit } from "./audit-log.ts";
import { createCredential, revokeCredentials, rotateCredential, type IssuedCredential } from "./credentials.ts";
import { insertGrant, revokeGrantById, type GrantSpec } from "./grants.ts";
import { markAgentReviewed, requireAgent, updateAgentStatus } from "./inventory.ts";
import { RunNotResumableError, UnknownRunError } from "../engine/engine-errors.ts";
import { getRunRecord, raiseRunBudget } from "../engine/run-records.ts";
import { fund, transfer, treasuryAccount, workflowAccount, ensureAccount, runAccount } from "./ledger.ts";

/** Operator actions on the inventory, credentials, grants and budgets. Each one is audited. */
export interface AdminContext {
  store: Store;
  principal: string;
  now?: number;
}

function audit(context: AdminContext, tx: Parameters<Parameters<Store["transaction"]>[0]>[0], kind: string, agent: string | null, data: Record<string, unknown>) {
  return appendAudit(tx, context.store.dialect, [{ kind, at: context.now ?? Date.now(), agent, principal: context.principal, data }]);
}

/** Revokes (or restores) an agent: its next gateway call is refused (or allowed again). */
export async function setAgentStatus(context: AdminContext, options: { agent: string; status: "active" | "revoked"; reason?: string }): Promise<void> {
  await requireAgent(context.store, options.agent);
  const now = context.now ?? Date.now();
  await context.store.transaction(async (tx) => {
    await updateAgentStatus(tx, { agent: options.agent, status: options.status, reason: options.reason ?? null, now });
    await audit(context, tx, options.status === "revoked" ? "agent.revoked" : "agent.restored", options.agent, { reason: options.reason ?? null });
  });
}

/** Records that a person reviewed the agent; the next review falls due `reviewEveryDays` later. */
export async function recordReview(context: AdminContext, options: { agent: string; note?: string }): Promise<void> {
  await requireAgent(context.store, options.agent);
  const now = context.now ?? Date.now();
  await context.store.transaction(async (tx) => {
    await markAgentReviewed(tx, { agent: options.agent, now });
    await audit(context, tx, "agent.reviewed", options.agent, { note: options.note ?? null });
  });
}

export async function issueCredential(context: AdminContext, options: { agent: string; rotate?: boolean }): Promise<IssuedCredential> {
  await requireAgent(context.store, options.agent);
  const now = context.now ?? Date.now();
  return context.store.transaction(async (tx) => {
    const issued = options.rotate ? await rotateCredential(tx, { agent: options.agent, now }) : await createCredential(tx, { agent: options.agent, now });
    await audit(context, tx, options.rotate ? "credential.rotated" : "credential.created", options.agent, { credential: issued.id, prefix: issued.prefix });
    return issued;
  });
}

export async function revokeAgentCredentials(context: AdminContext, options: { agent: string }): Promise<number> {
  await requireAgent(context.store, options.agent);
  const now = context.now ?? Date.now();
  return context.store.transaction(async (tx) => {
    const count = await revokeCredentials(tx, { agent: options.agent, now });
    await audit(context, tx, "credential.revoked", options.agent, { count });
    return count;
  });
}

/** A standing grant added by an operator (kind `manual`). */
export async function addGrant(context: AdminContext, options: { agent: string; grant: GrantSpec }): Promise<string> {
  await requireAgent(context.store, options.agent);
  const now = context.now ?? Date.now();
  return context.store.transaction(async (tx) => {
    const id = await insertGrant(tx, { agent: options.agent, grant: options.grant, kind: "manual", now });
    await audit(context, tx, "grant.issued", options.agent, { grant: id, ...options.grant });
    return id;
  });
}

export async function revokeGrant(context: AdminContext, options: { grantId: string }): Promise<boolean> {
  const now = context.now ?? Date.now();
  return context.store.transaction(async (tx) => {
    const agent = await revokeGrantById(tx, { grantId: options.grantId, now });
    if (agent === undefined) return false;
    await audit(context, tx, "grant.revoked", agent, { grant: options.grantId });
    return true;
  });
}

/**
 * Deposits money into the treasury and, with `workflow`, allocates it to that workflow's
 * account, or with `runId` gives it to one unfinished run (raising that run's budget, so a
 * resume of it re-funds up to the new total).
 */
export async function fundBudget(context: AdminContext, options: { amount: number; workflow?: string; runId?: string; note?: string }): Promise<void> {
  const now = context.now ?? Date.now();
  await context.store.transaction(async (tx) => {
    const run = options.runId ? await getRunRecord(tx, options.runId) : undefined;
    if (options.runId && !run) throw new UnknownRunError({ runId: options.runId });
    if (run && ["completed", "partial", "cancelled"].includes(run.status)) {
      throw new RunNotResumableError({ runId: run.id, status: run.status, reason: "it will spend nothing more, so it cannot be funded", fix: `Fund its workflow instead: cadre budget fund <dollars> --workflow ${run.workflow}` });
    }
    await fund(tx, { amount: options.amount, now, note: options.note ?? `deposit by ${context.principal}` });
    if (options.workflow) {
      await ensureAccount(tx, { id: workflowAccount(options.workflow), kind: "workflow", name: options.workflow, now });
      await transfer(tx, { from: treasuryAccount, to: workflowAccount(options.workflow), amount: options.amount, level: "treasury", now, note: "allocate" });
    }
    if (run) {
      await ensureAccount(tx, { id: runAccount(run.id), kind: "run", name: run.id, runId: run.id, now });
      await transfer(tx, { from: treasuryAccount, to: runAccount(run.id), amount: options.amount, level: "treasury", now, runId: run.id, note: "fund run" });
      await raiseRunBudget(tx, { runId: run.id, amount: options.amount });
    }
    await appendAudit(tx, context.store.dialect, [
      { kind: "budget.funded", at: now, runId: run?.id ?? null, workflow: options.workflow ?? run?.workflow ?? null, principal: context.principal, data: { amountMicros: options.amount, id: randomUUID(), ...(run ? { runBudgetMicros: run.budget + options.amount } : {}) } },
    ]);
  });
}
