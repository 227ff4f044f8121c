import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { GrantsTable } from "../store/schema.ts";
import { compiledQuery } from "../store/compiled-query.ts";
import type { Db } from "../store/store.ts";

/** A permission: a scope (`tool:credit-bureau`, `fs:write`, `mcp:github:*`) on resources matching a pattern. */
export interface GrantSpec {
  scope: string;
  /** Glob over resource names: `*` matches any run of characters (default `*`). */
  resource?: string;
  /** Epoch ms after which the grant is dead. */
  expiresAt?: number;
  /** How many calls the grant covers in total. */
  maxUses?: number;
}

export interface GrantRecord {
  id: string;
  agent: string;
  scope: string;
  resource: string;
  kind: GrantsTable["kind"];
  expiresAt: number | null;
  maxUses: number | null;
  /** Calls made under the grant; counted only when `maxUses` limits it. */
  uses: number;
  runId: string | null;
  stepKey: string | null;
  createdAt: number;
  revokedAt: number | null;
}

/** Compiled glob patterns: grants are matched on every governed call. */
const globExpressions = new Map<string, RegExp>();

/** Matches `*` as "anything"; every other character literally. */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*")) return pattern === value;
  let expression = globExpressions.get(pattern);
  if (!expression) {
    if (globExpressions.size >= 1000) globExpressions.clear();
    expression = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
    globExpressions.set(pattern, expression);
  }
  return expression.test(value);
}

/** Whether `outer` covers everything `inner` allows (used so a child never exceeds its parent). */
export function grantCovers(outer: GrantSpec, inner: GrantSpec): boolean {
  return globMatches(outer.scope, inner.scope) && globMatches(outer.resource ?? "*", inner.resource ?? "*");
}

/** Whether a run's grant ceiling (none for a root run) allows `grant`: a child run never uses more than its parent gave it. */
export function withinCeiling(ceiling: readonly GrantSpec[] | null | undefined, grant: GrantSpec): boolean {
  return !ceiling || ceiling.some((allowed) => grantCovers(allowed, grant));
}

export function toGrantRecord(row: GrantsTable): GrantRecord {
  return {
    id: row.id,
    agent: row.agent,
    scope: row.scope,
    resource: row.resource,
    kind: row.kind,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    maxUses: row.max_uses,
    uses: Number(row.uses),
    runId: row.run_id,
    stepKey: row.step_key,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/**
 * Makes the stored declared grants of an agent equal its definition (kept grants keep their
 * use counts). Returns what it issued and revoked, for the audit log.
 */
export async function syncDeclaredGrants(tx: Db, options: { agent: string; grants: GrantSpec[]; now: number }): Promise<{ issued: Array<GrantSpec & { id: string }>; revoked: string[] }> {
  const existing = await tx.selectFrom("grants").selectAll().where("agent", "=", options.agent).where("kind", "=", "declared").where("revoked_at", "is", null).execute();
  const key = (grant: { scope: string; resource?: string | null; expiresAt?: number | null; maxUses?: number | null }) =>
    `${grant.scope}|${grant.resource ?? "*"}|${grant.expiresAt ?? ""}|${grant.maxUses ?? ""}`;
  const wanted = new Map(options.grants.map((grant) => [key(grant), grant]));
  const revoked: string[] = [];
  for (const row of existing) {
    const rowKey = key({ scope: row.scope, resource: row.resource, expiresAt: row.expires_at === null ? null : Number(row.expires_at), maxUses: row.max_uses });
    if (wanted.delete(rowKey)) continue;
    await tx.updateTable("grants").set({ revoked_at: options.now }).where("id", "=", row.id).execute();
    revoked.push(row.id);
  }
  const issued: Array<GrantSpec & { id: string }> = [];
  for (const grant of wanted.values()) issued.push({ ...grant, id: await insertGrant(tx, { agent: options.agent, grant, kind: "declared", now: options.now }) });
  return { issued, revoked };
}

/** Revokes the just-in-time grants of a run still live after a crash: the steps that re-run get their own again. */
export async function revokeRunGrants(tx: Db, options: { runId: string; now: number }): Promise<number> {
  const result = await tx.updateTable("grants").set({ revoked_at: options.now }).where("kind", "=", "jit").where("run_id", "=", options.runId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertGrant(tx: Db, options: { agent: string; grant: GrantSpec; kind: GrantsTable["kind"]; now: number; runId?: string; stepKey?: string }): Promise<string> {
  const id = randomUUID();
  await tx
    .insertInto("grants")
    .values({
      id,
      agent: options.agent,
      scope: options.grant.scope,
      resource: options.grant.resource ?? "*",
      kind: options.kind,
      expires_at: options.grant.expiresAt ?? null,
      max_uses: options.grant.maxUses ?? null,
      uses: 0,
      run_id: options.runId ?? null,
      step_key: options.stepKey ?? null,
      created_at: options.now,
      revoked_at: null,
    })
    .execute();
  return id;
}

/** The agent's grants that are not revoked (expired and used-up ones included: `authorize` says why they do not count). */
export async function liveGrants(db: Db, agent: string): Promise<GrantRecord[]> {
  return (await selectLiveGrants(db, { agent })).rows.map(toGrantRecord);
}
const selectLiveGrants = compiledQuery((db, grants: { agent: string }) => db.selectFrom("grants").selectAll().where("agent", "=", grants.agent).where("revoked_at", "is", null));

export type AuthorizationResult = { allowed: true; grantId: string } | { allowed: false; reason: string };

/**
 * Checks, at call time, that a live grant covers the scope and resource, and consumes one
 * use of it. Expired, used-up and revoked grants do not count; just-in-time grants count only
 * inside the step they were issued for.
 */
export async function authorize(
  tx: Db,
  options: { agent: string; scope: string; resource: string; now: number; runId: string; stepKey: string; live?: GrantRecord[] },
): Promise<AuthorizationResult> {
  // `live`: the agent's live grants, read by the caller in this transaction.
  const rows = options.live ?? (await liveGrants(tx, options.agent));
  const candidates = rows.filter((grant) => globMatches(grant.scope, options.scope) && globMatches(grant.resource, options.resource));
  if (candidates.length === 0) return { allowed: false, reason: `no grant covers it (the agent holds ${rows.length === 0 ? "no grants" : rows.map((row) => `${row.scope}:${row.resource}`).join(", ")})` };
  const inScope = candidates.filter((grant) => grant.kind !== "jit" || (grant.runId === options.runId && options.stepKey.startsWith(grant.stepKey ?? "\u0000")));
  if (inScope.length === 0) return { allowed: false, reason: "its just-in-time grant belongs to another step" };
  const live = inScope.filter((grant) => grant.expiresAt === null || grant.expiresAt > options.now);
  if (live.length === 0) return { allowed: false, reason: `the grant expired at ${new Date(Math.max(...inScope.map((grant) => grant.expiresAt ?? 0))).toISOString()}` };
  // An unlimited grant allows at once: counting its uses would cost a write on every call.
  const unlimited = live.find((grant) => grant.maxUses === null);
  if (unlimited) return { allowed: true, grantId: unlimited.id };
  for (const grant of live) {
    // Consuming a use is a conditional update, so concurrent calls cannot overuse a grant.
    const used = await tx
      .updateTable("grants")
      .set({ uses: sql`uses + 1` })
      .where("id", "=", grant.id)
      .where((where) => where.or([where("max_uses", "is", null), sql<boolean>`uses < max_uses`]))
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) === 1) return { allowed: true, grantId: grant.id };
  }
  return { allowed: false, reason: `the grant is used up (${live.map((grant) => `${grant.uses}/${grant.maxUses}`).join(", ")} uses)` };
}

/** Whether `agent` holds a live grant covering all of `wanted` right now (uses are not consumed). */
export async function holdsGrant(tx: Db, options: { agent: string; wanted: GrantSpec; now: number; runId: string; stepKey: string }): Promise<boolean> {
  return (await liveGrants(tx, options.agent)).some(
    (grant) =>
      grantCovers({ scope: grant.scope, resource: grant.resource }, options.wanted) &&
      (grant.expiresAt === null || grant.expiresAt > options.now) &&
      (grant.maxUses === null || grant.uses < grant.maxUses) &&
      (grant.kind !== "jit" || (grant.runId === options.runId && options.stepKey.startsWith(grant.stepKey ?? "\u0000"))),
  );
}

/** Revokes the just-in-time grants issued for one step, when the step ends. */
export async function revokeStepGrants(tx: Db, options: { runId: string; stepKey: string; now: number }): Promise<number> {
  const result = await tx
    .updateTable("grants")
    .set({ revoked_at: options.now })
    .where("kind", "=", "jit")
    .where("run_id", "=", options.runId)
    .where("step_key", "=", options.stepKey)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listGrants(db: Db, agent: string): Promise<GrantRecord[]> {
  const rows = await db.selectFrom("grants").selectAll().where("agent", "=", agent).orderBy("created_at").execute();
  return rows.map(toGrantRecord);
}

/** Revokes one live grant; returns the agent that held it, or undefined when no live grant has that id. */
export async function revokeGrantById(tx: Db, options: { grantId: string; now: number }): Promise<string | undefined> {
  const row = await tx.selectFrom("grants").select(["agent"]).where("id", "=", options.grantId).where("revoked_at", "is", null).executeTakeFirst();
  if (!row) return undefined;
  await tx.updateTable("grants").set({ revoked_at: options.now }).where("id", "=", options.grantId).execute();
  return row.agent;
}
