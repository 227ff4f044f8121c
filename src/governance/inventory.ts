import { createHash } from "node:crypto";
import type { TimeoutSetting } from "../engine/adaptive-timeout.ts";
import type { RetryOptions } from "../engine/resilience.ts";
import { CadreError, type CadreErrorOptions } from "../errors.ts";
import { compiledQuery } from "../store/compiled-query.ts";
import type { AgentsTable } from "../store/schema.ts";
import { lockSection } from "../store/store-lock.ts";
import type { Db, Store } from "../store/store.ts";
import { appendAudit, type AuditEntry } from "./audit-log.ts";
import type { DataClass } from "../policy/data-classes.ts";
import type { Tool } from "./define-tool.ts";
import type { AgentBudget } from "./gateway.ts";
import { syncDeclaredGrants, type GrantSpec } from "./grants.ts";

export type DataAccess = "none" | "public" | "internal" | "confidential" | "restricted";
export type RiskCategory = "minimal" | "limited" | "high";

/** Inventory metadata: who owns the agent, what it touches, how often it must be reviewed. */
export interface AgentInventory {
  owner: string;
  purpose: string;
  dataAccess?: DataAccess;
  risk?: RiskCategory;
  /** Days between reviews; the inventory shows when the next one is due. */
  reviewEveryDays?: number;
  /** The model (or model version) the agent relies on, for the inventory. */
  modelVersion?: string;
  /** The data classes the agent may handle (`financial`, `pii`, ...): enforced by policies on the tools it calls. */
  clearance?: DataClass[];
  /** Where the agent runs (`eu`): policies on residency read it. */
  region?: string;
  /** Free-form tags policies match on (`eu-data`). */
  labels?: string[];
}

/** What the inventory records of an agent (its metadata, limits, tools, grants, budget and code); agent definitions satisfy it. */
export interface InventoriedAgent extends AgentInventory {
  name: string;
  run: (...args: never[]) => unknown;
  timeout?: TimeoutSetting;
  retry?: RetryOptions;
  tools?: Tool[];
  grants?: GrantSpec[];
  budget?: AgentBudget;
}

/** A stable hash of what an agent is: its metadata and code, so a changed definition gets a new version. */
export function definitionHash(agent: InventoriedAgent): string {
  const described = describeAgent(agent);
  return createHash("sha256").update(JSON.stringify({ ...described, code: agent.run.toString() })).digest("hex").slice(0, 16);
}

function describeAgent(agent: InventoriedAgent) {
  return {
    name: agent.name,
    owner: agent.owner,
    purpose: agent.purpose,
    dataAccess: agent.dataAccess ?? "none",
    risk: agent.risk ?? "minimal",
    modelVersion: agent.modelVersion ?? null,
    ...(agent.clearance?.length ? { clearance: agent.clearance } : {}),
    ...(agent.region ? { region: agent.region } : {}),
    ...(agent.labels?.length ? { labels: agent.labels } : {}),
    reviewEveryDays: agent.reviewEveryDays ?? null,
    timeout: agent.timeout ?? null,
    retry: agent.retry ?? null,
    tools: (agent.tools ?? []).map((tool) => ({ name: tool.name, scope: tool.scope, price: typeof tool.price === "function" ? "computed" : (tool.price ?? 0), ...(tool.dataClass ? { dataClass: tool.dataClass } : {}), ...(tool.region ? { region: tool.region } : {}) })),
    grants: agent.grants ?? [],
    budget: agent.budget ?? null,
  };
}

/**
 * Records every agent definition in the store so the CLI can list the inventory without
 * loading user code. A new agent is registered at version 1; a changed definition bumps the
 * version and brings its declared grants in line; status and reviews are kept. Each change
 * is audited, naming the principal the runtime acts for.
 */
export async function upsertInventory(store: Store, options: { agents: InventoriedAgent[]; now: number; principal: string }): Promise<void> {
  if (options.agents.length === 0) return;
  const { now, principal } = options;
  await store.transaction(async (tx) => {
    // Runtimes opening at once would each find the agent missing and insert it.
    await lockSection(tx, store.dialect, "inventory");
    const records: AuditEntry[] = [];
    for (const agent of options.agents) {
      const hash = definitionHash(agent);
      const described = describeAgent(agent);
      const existing = await tx.selectFrom("agents").select(["definition_hash", "version"]).where("name", "=", agent.name).executeTakeFirst();
      if (existing?.definition_hash === hash) continue;
      const row = {
        definition_hash: hash,
        owner: described.owner,
        purpose: described.purpose,
        data_access: described.dataAccess,
        risk: described.risk,
        model: described.modelVersion,
        review_every_days: described.reviewEveryDays,
        definition: JSON.stringify(described),
        updated_at: now,
      };
      const version = existing ? existing.version + 1 : 1;
      if (existing) {
        await tx.updateTable("agents").set({ ...row, version }).where("name", "=", agent.name).execute();
      } else {
        await tx
          .insertInto("agents")
          .values({ ...row, name: agent.name, version, status: "active", status_reason: null, status_changed_at: null, last_reviewed_at: null, created_at: now })
          .execute();
      }
      const grants = await syncDeclaredGrants(tx, { agent: agent.name, grants: agent.grants ?? [], now });
      const audited = { at: now, agent: agent.name, principal };
      records.push(
        { ...audited, kind: existing ? "agent.updated" : "agent.registered", data: { version, definitionHash: hash, owner: described.owner, risk: described.risk, dataAccess: described.dataAccess } },
        ...grants.issued.map(({ id, ...grant }) => ({ ...audited, kind: "grant.issued", data: { grant: id, ...grant, declared: true } })),
        ...grants.revoked.map((grant) => ({ ...audited, kind: "grant.revoked", data: { grant, declared: true } })),
      );
    }
    await appendAudit(tx, store.dialect, records);
  });
}

/** A name that is not in the inventory. Lists the names that are, so a typo is answered alike everywhere. */
export class UnknownAgentError extends CadreError {
  constructor(details: { agent: string; known: string[]; location: string }, options?: CadreErrorOptions) {
    const known = details.known.length === 0 ? "The inventory is empty: agents are recorded when a runtime opens with them." : `Known agents: ${details.known.join(", ")}.`;
    super("UNKNOWN_AGENT", `No agent named "${details.agent}" in the inventory of ${details.location}. ${known}`, { ...options, details: { agent: details.agent, known: details.known } });
  }
}

/** What the gateway checks before every agent call: whether the agent may act now. */
export type AgentStatusRow = Pick<AgentsTable, "status" | "status_reason" | "status_changed_at" | "risk" | "review_every_days" | "last_reviewed_at" | "created_at">;

// On every governed call: compiled once (see compiledQuery).
const selectAgentStatus = compiledQuery((db, agents: { agent: string }) =>
  db.selectFrom("agents").select(["status", "status_reason", "status_changed_at", "risk", "review_every_days", "last_reviewed_at", "created_at"]).where("name", "=", agents.agent),
);

/** The agent's status, risk and review dates, or undefined when it is not in the inventory. */
export async function agentStatus(db: Db, agent: string): Promise<AgentStatusRow | undefined> {
  const [row] = (await selectAgentStatus(db, { agent })).rows;
  return row;
}

/** Every agent name in the inventory, sorted. */
export async function agentNames(db: Db): Promise<string[]> {
  return (await db.selectFrom("agents").select("name").orderBy("name").execute()).map((row) => row.name);
}

/** Throws UnknownAgentError unless the agent is in the inventory of `store`. */
export async function requireAgent(store: Pick<Store, "db" | "location">, agent: string, db: Db = store.db): Promise<void> {
  if (await db.selectFrom("agents").select("name").where("name", "=", agent).executeTakeFirst()) return;
  throw new UnknownAgentError({ agent, known: await agentNames(db), location: store.location });
}

/** The inventory's rows, by name. */
export async function readAgents(db: Db): Promise<AgentsTable[]> {
  return db.selectFrom("agents").selectAll().orderBy("name").execute();
}

/** Sets an agent's status (revoked or active again), with why and when. */
export async function updateAgentStatus(tx: Db, options: { agent: string; status: AgentsTable["status"]; reason: string | null; now: number }): Promise<void> {
  await tx.updateTable("agents").set({ status: options.status, status_reason: options.reason, status_changed_at: options.now, updated_at: options.now }).where("name", "=", options.agent).execute();
}

/** Records that the agent was reviewed at `now`: its next review falls due a review cadence later. */
export async function markAgentReviewed(tx: Db, options: { agent: string; now: number }): Promise<void> {
  await tx.updateTable("agents").set({ last_reviewed_at: options.now, updated_at: options.now }).where("name", "=", options.agent).execute();
}
