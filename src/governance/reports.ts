import { sql } from "kysely";
import type { Db } from "../store/store.ts";

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
}

export async function listInventory(db: Db, now: number): Promise<InventoryRow[]> {
  const agents = await db.selectFrom("agents").selectAll().orderBy("name").execute();
  const spend = await db.selectFrom("ledger_entries").select(["agent", (eb) => eb.fn.sum<number>("amount").as("spent")]).where("kind", "=", "charge").groupBy("agent").execute();
  const spentBy = new Map(spend.map((row) => [row.agent, Number(row.spent)]));
  const breakers = new Map((await db.selectFrom("breakers").select(["name", "state"]).execute()).map((row) => [row.name, row.state]));
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
      breaker: breakers.get(`agent:${agent.name}`) ?? null,
    };
  });
}

export type SpendGrouping = "agent" | "tool" | "run" | "day";

export interface SpendRow {
  key: string;
  calls: number;
  spentMicros: number;
}

/** Charges grouped for cost attribution: who spent what, on what, in which run or day. */
export async function spendReport(db: Db, options: { by: SpendGrouping; runId?: string; agent?: string }): Promise<SpendRow[]> {
  const column = { agent: sql<string>`agent`, tool: sql<string>`subject`, run: sql<string>`run_id`, day: sql<string>`created_at` }[options.by];
  let query = db
    .selectFrom("ledger_entries")
    .select([column.as("key"), (eb) => eb.fn.countAll<number>().as("calls"), (eb) => eb.fn.sum<number>("amount").as("spent")])
    .where("kind", "=", "charge");
  if (options.runId) query = query.where("run_id", "=", options.runId);
  if (options.agent) query = query.where("agent", "=", options.agent);
  if (options.by === "day") {
    // Days are grouped in JavaScript so the query stays the same on both dialects.
    const rows = await db.selectFrom("ledger_entries").select(["created_at", "amount"]).where("kind", "=", "charge")
      .$if(Boolean(options.runId), (builder) => builder.where("run_id", "=", options.runId!))
      .$if(Boolean(options.agent), (builder) => builder.where("agent", "=", options.agent!))
      .execute();
    const days = new Map<string, SpendRow>();
    for (const row of rows) {
      const key = new Date(Number(row.created_at)).toISOString().slice(0, 10);
      const entry = days.get(key) ?? { key, calls: 0, spentMicros: 0 };
      entry.calls += 1;
      entry.spentMicros += Number(row.amount);
      days.set(key, entry);
    }
    return [...days.values()].sort((left, right) => left.key.localeCompare(right.key));
  }
  const rows = await query.groupBy(column).execute();
  return rows
    .map((row) => ({ key: String(row.key ?? "-"), calls: Number(row.calls), spentMicros: Number(row.spent) }))
    .sort((left, right) => right.spentMicros - left.spentMicros || left.key.localeCompare(right.key));
}

/** Accounts with their balances, for `cadre budget`. */
export async function listAccounts(db: Db, options: { runId?: string } = {}) {
  let query = db.selectFrom("accounts").selectAll().orderBy("created_at");
  query = options.runId ? query.where("run_id", "=", options.runId) : query.where("kind", "in", ["treasury", "workflow", "cap"]);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind as string, balanceMicros: Number(row.balance), reservedMicros: Number(row.reserved), spentMicros: Number(row.spent) }));
}
