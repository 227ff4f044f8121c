import { readBreakerStates } from "../engine/breaker-states.ts";
import { runTreeIds } from "../engine/run-records.ts";
import type { Db } from "../store/store.ts";
import { readAgents } from "./inventory.ts";

const dayMs = 86_400_000;

/** One row of the agent inventory, readable without loading any user code. */
export interface InventoryRow {
  name: string;
  owner: string;
  purpose: string;
  dataAccess: string;
  risk: string;
  model: string | null;
  version: number;
  status: "active" | "revoked";
  lastReviewedAt: number | null;
  reviewDueAt: number | null;
  reviewOverdue: boolean;
  spentMicros: number;
  /** The agent's circuit breaker as last reported by a runtime, if it has one. */
  breaker: string | null;
  /** The data classes the agent is cleared for (policies enforce them). */
  clearance: string[];
}

export async function listInventory(db: Db, now: number): Promise<InventoryRow[]> {
  const agents = await readAgents(db);
  const spend = await db.selectFrom("ledger_entries").select(["agent", (eb) => eb.fn.sum<number>("amount").as("spent")]).where("kind", "=", "charge").groupBy("agent").execute();
  const spentBy = new Map(spend.map((row) => [row.agent, Number(row.spent)]));
  const breakers = await readBreakerStates({ db });
  return agents.map((agent) => {
    const reviewDueAt = agent.review_every_days ? Number(agent.last_reviewed_at ?? agent.created_at) + agent.review_every_days * dayMs : null;
    return {
      name: agent.name,
      owner: agent.owner,
      purpose: agent.purpose,
      dataAccess: agent.data_access,
      risk: agent.risk,
      model: agent.model,
      version: agent.version,
      status: agent.status,
      lastReviewedAt: agent.last_reviewed_at === null ? null : Number(agent.last_reviewed_at),
      reviewDueAt,
      reviewOverdue: reviewDueAt !== null && reviewDueAt < now,
      spentMicros: spentBy.get(agent.name) ?? 0,
      breaker: breakers.get(`agent:${agent.name}`)?.state ?? null,
      clearance: (JSON.parse(agent.definition) as { clearance?: string[] }).clearance ?? [],
    };
  });
}

export type SpendGrouping = "agent" | "tool" | "model" | "run" | "day";

export interface SpendRow {
  key: string;
  calls: number;
  spentMicros: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Charges grouped for cost attribution: who spent what, on what, in which run or day, with
 * model tokens. Grouping happens here rather than in SQL so the query is the same on both
 * dialects and token counts can be read from each charge's units.
 */
export async function spendReport(db: Db, options: { by: SpendGrouping; runId?: string; agent?: string; includeChildRuns?: boolean }): Promise<SpendRow[]> {
  let query = db.selectFrom("ledger_entries").select(["agent", "subject", "run_id", "created_at", "amount", "units"]).where("kind", "=", "charge");
  // A run's spend includes its child workflows' runs unless asked otherwise: they were paid from its budget.
  if (options.runId) query = query.where("run_id", "in", options.includeChildRuns === false ? [options.runId] : await runTreeIds(db, options.runId));
  if (options.agent) query = query.where("agent", "=", options.agent);
  if (options.by === "model") query = query.where("subject", "like", "model:%");
  if (options.by === "tool") query = query.where("subject", "like", "tool:%");
  const groups = new Map<string, SpendRow>();
  for (const row of await query.execute()) {
    const key =
      options.by === "agent" ? row.agent : options.by === "run" ? row.run_id : options.by === "day" ? new Date(Number(row.created_at)).toISOString().slice(0, 10) : row.subject?.replace(/^(model|tool):/, "");
    const group = groups.get(key ?? "-") ?? { key: key ?? "-", calls: 0, spentMicros: 0, inputTokens: 0, outputTokens: 0 };
    const units = row.units ? (JSON.parse(row.units) as { inputTokens?: number; outputTokens?: number }) : {};
    group.calls += 1;
    group.spentMicros += Number(row.amount);
    group.inputTokens += units.inputTokens ?? 0;
    group.outputTokens += units.outputTokens ?? 0;
    groups.set(group.key, group);
  }
  const rows = [...groups.values()];
  return options.by === "day" ? rows.sort((left, right) => left.key.localeCompare(right.key)) : rows.sort((left, right) => right.spentMicros - left.spentMicros || left.key.localeCompare(right.key));
}

/** A charge settled for one step of a run, as the ledger holds it. */
export interface StepCharge {
  stepKey: string | null;
  amountMicros: number;
  /** `model:<id>` or `tool:<name>`. */
  subject: string | null;
}

/** Every charge settled in one run (not its child runs). */
export async function runCharges(db: Db, runId: string): Promise<StepCharge[]> {
  const rows = await db.selectFrom("ledger_entries").select(["step_key", "amount", "subject"]).where("kind", "=", "charge").where("run_id", "=", runId).execute();
  return rows.map((row) => ({ stepKey: row.step_key, amountMicros: Number(row.amount), subject: row.subject }));
}

/** An account with its balances, for `cadre budget`. */
export interface AccountSummary {
  id: string;
  kind: string;
  balanceMicros: number;
  reservedMicros: number;
  spentMicros: number;
}

/** Accounts with their balances: a run's accounts, or the treasury, workflow and cap accounts. */
export async function listAccounts(db: Db, options: { runId?: string } = {}): Promise<AccountSummary[]> {
  let query = db.selectFrom("accounts").selectAll().orderBy("created_at");
  query = options.runId ? query.where("run_id", "=", options.runId) : query.where("kind", "in", ["treasury", "workflow", "cap"]);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind as string, balanceMicros: Number(row.balance), reservedMicros: Number(row.reserved), spentMicros: Number(row.spent) }));
}

/** One settled model call: who made it, under which model, its tokens and what it was charged. */
export interface ModelCharge {
  runId: string;
  agent: string | null;
  /** `provider:model-id`. */
  model: string;
  amountMicros: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  createdAt: number;
}

// Bound the parameters of one `in (...)` list well inside both dialects' limits.
const runIdsPerQuery = 500;

/** Every model charge of the given runs (not their child runs), or of all runs since an instant: the token record cost reports are made from. */
export async function modelCharges(db: Db, options: { runIds?: readonly string[]; since?: number }): Promise<ModelCharge[]> {
  const query = () => {
    let base = db.selectFrom("ledger_entries").select(["run_id", "agent", "subject", "amount", "units", "created_at"]).where("kind", "=", "charge").where("subject", "like", "model:%");
    if (options.since !== undefined) base = base.where("created_at", ">=", options.since);
    return base.orderBy("created_at").orderBy("id");
  };
  const rows = [];
  if (options.runIds === undefined) rows.push(...(await query().execute()));
  else for (let start = 0; start < options.runIds.length; start += runIdsPerQuery) rows.push(...(await query().where("run_id", "in", options.runIds.slice(start, start + runIdsPerQuery)).execute()));
  return rows.map((row) => {
    const units = row.units ? (JSON.parse(row.units) as { inputTokens?: number; outputTokens?: number; cachedInputTokens?: number }) : {};
    return {
      runId: row.run_id ?? "-",
      agent: row.agent,
      model: (row.subject ?? "model:-").slice("model:".length),
      amountMicros: Number(row.amount),
      inputTokens: units.inputTokens ?? 0,
      outputTokens: units.outputTokens ?? 0,
      cachedInputTokens: units.cachedInputTokens ?? 0,
      createdAt: Number(row.created_at),
    };
  });
}
