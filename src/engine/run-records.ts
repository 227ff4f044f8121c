import { sql } from "kysely";
import type { SerializedError } from "../errors.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import { decodePayloads, encodePayload, storePayload } from "../store/payloads.ts";
import type { RunStatus, RunsTable } from "../store/schema.ts";
import type { Db, Store } from "../store/store.ts";

/** Scope and resource patterns a run may use at most (kept here, below governance, as plain data). */
export type GrantCeiling = Array<{ scope: string; resource?: string }>;

/** Where a fork comes from: the run and step it was forked at, and the copied steps whose output it replaced. */
export interface ForkOrigin {
  runId: string;
  stepKey: string;
  overridden: string[];
}

/** A run as callers see it. */
export interface RunRecord {
  id: string;
  workflow: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: SerializedError | undefined;
  goal: string | null;
  principal: string;
  parentRunId: string | null;
  parentStepKey: string | null;
  /** The grants a child run may use at most, set by its parent; null for a root run. */
  grantCeiling: GrantCeiling | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** The fencing token of the current owner: grows with every take-over. */
  leaseEpoch: number;
  /** Micro-units the run was given in all: its perRun (or carve) plus top-ups. */
  budget: number;
  /** The W3C traceparent of the run's first span, when it was traced: resumes and child runs join its trace. */
  traceContext: string | null;
  /** Set on a fork: the run it was forked from and the step it re-executes from. */
  forkedFrom: ForkOrigin | null;
}

export interface RunFilter {
  workflow?: string;
  status?: RunStatus | RunStatus[];
  parentRunId?: string | null;
  limit?: number;
}

/** Run rows as records, with their large inputs and outputs loaded from `payloads`. */
async function toRunRecords(db: Db, rows: RunsTable[]): Promise<RunRecord[]> {
  const values = await decodePayloads(db, rows.flatMap((row) => [row.input, row.output]));
  return rows.map((row, index) => toRunRecord(row, values[2 * index], values[2 * index + 1]));
}

function toRunRecord(row: RunsTable, input: unknown, output: unknown): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    input,
    output,
    error: decodeJson<SerializedError>(row.error),
    goal: row.goal,
    principal: row.principal,
    parentRunId: row.parent_run_id,
    parentStepKey: row.parent_step_key,
    grantCeiling: decodeJson<GrantCeiling>(row.grant_ceiling) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    leaseEpoch: Number(row.lease_epoch),
    budget: Number(row.budget),
    traceContext: row.trace_context ?? null,
    forkedFrom: row.forked_from_run_id === null ? null : { runId: row.forked_from_run_id, stepKey: row.fork_step_key ?? "", overridden: decodeJson<string[]>(row.fork_overrides) ?? [] },
  };
}

/** Records the trace a run belongs to (once, at its first traced execution). */
export async function setRunTraceContext(db: Db, runId: string, traceContext: string): Promise<void> {
  await db.updateTable("runs").set({ trace_context: traceContext }).where("id", "=", runId).where("trace_context", "is", null).execute();
}

/** Creates a run; its input (already validated) is refused with PayloadTooLargeError over `maxPayloadBytes`. */
export async function insertRun(
  db: Db,
  run: Pick<RunRecord, "id" | "workflow" | "input" | "goal" | "principal" | "parentRunId" | "parentStepKey" | "grantCeiling" | "createdAt" | "leaseOwner" | "leaseExpiresAt" | "budget"> & { status?: "running" | "pending"; placement?: Record<string, string> | null; forkedFrom?: RunRecord["forkedFrom"] },
  options: { maxPayloadBytes: number },
): Promise<void> {
  const input = encodePayload(run.input, options.maxPayloadBytes, () => ({ what: `The input of workflow "${run.workflow}"`, runId: run.id })) ?? "null";
  await db
    .insertInto("runs")
    .values({
      id: run.id,
      workflow: run.workflow,
      // A run handed to worker processes is "pending" (and unowned) until one of them takes it.
      status: run.status ?? "running",
      input: (await storePayload(db, input))!,
      output: null,
      error: null,
      goal: run.goal,
      principal: run.principal,
      parent_run_id: run.parentRunId,
      parent_step_key: run.parentStepKey,
      grant_ceiling: run.grantCeiling ? encodeJson(run.grantCeiling) : null,
      created_at: run.createdAt,
      updated_at: run.createdAt,
      ended_at: null,
      lease_owner: run.leaseOwner,
      lease_expires_at: run.leaseExpiresAt,
      lease_epoch: 1,
      budget: run.budget,
      placement: run.placement && Object.keys(run.placement).length > 0 ? encodeJson(run.placement) : null,
      forked_from_run_id: run.forkedFrom?.runId ?? null,
      fork_step_key: run.forkedFrom?.stepKey ?? null,
      fork_overrides: run.forkedFrom ? encodeJson(run.forkedFrom.overridden) : null,
    })
    .execute();
}

export async function getRunRecord(db: Db, runId: string): Promise<RunRecord | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirst();
  return row ? (await toRunRecords(db, [row]))[0] : undefined;
}

export async function listRunRecords(db: Db, filter: RunFilter = {}): Promise<RunRecord[]> {
  let query = db.selectFrom("runs").selectAll().orderBy("created_at", "desc").orderBy("id", "desc");
  if (filter.workflow) query = query.where("workflow", "=", filter.workflow);
  if (filter.status) query = query.where("status", "in", Array.isArray(filter.status) ? filter.status : [filter.status]);
  if (filter.parentRunId === null) query = query.where("parent_run_id", "is", null);
  else if (filter.parentRunId) query = query.where("parent_run_id", "=", filter.parentRunId);
  const rows = await query.limit(filter.limit ?? 50).execute();
  return toRunRecords(db, rows);
}

/** The ids of the runs forked from `runId`, oldest first. */
export async function forkIds(db: Db, runId: string): Promise<string[]> {
  const rows = await db.selectFrom("runs").select("id").where("forked_from_run_id", "=", runId).orderBy("created_at").orderBy("id").execute();
  return rows.map((row) => row.id);
}

/** A run's place in the tree and its outcome, without its input or output: what reports over many runs need. */
export interface RunHeader {
  id: string;
  workflow: string;
  status: RunStatus;
  parentRunId: string | null;
  createdAt: number;
  endedAt: number | null;
}

/** Runs created at or after `since` (every run without it), oldest first. */
export async function listRunHeaders(db: Db, options: { since?: number } = {}): Promise<RunHeader[]> {
  let query = db.selectFrom("runs").select(["id", "workflow", "status", "parent_run_id", "created_at", "ended_at"]).orderBy("created_at").orderBy("id");
  if (options.since !== undefined) query = query.where("created_at", ">=", options.since);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, workflow: row.workflow, status: row.status, parentRunId: row.parent_run_id, createdAt: Number(row.created_at), endedAt: row.ended_at === null ? null : Number(row.ended_at) }));
}

/** The run and every run below it (child workflows, their children...), parents first; just `[runId]` for an unknown run. */
export async function runTreeIds(db: Db, runId: string): Promise<string[]> {
  const result = await sql<{ id: string }>`
    with recursive tree(id, depth) as (
      select id, 0 from runs where id = ${runId}
      union all
      select runs.id, tree.depth + 1 from runs join tree on runs.parent_run_id = tree.id
    )
    select id from tree order by depth, id`.execute(db);
  return result.rows.length > 0 ? result.rows.map((row) => row.id) : [runId];
}

/** Ends a run (or parks it as waiting) and gives up its lease. `outputJson` is the output already encoded (and size-checked). */
export async function finishRun(
  db: Db,
  runId: string,
  outcome: { status: RunStatus; outputJson: string | null; error?: SerializedError; at: number },
): Promise<void> {
  const ended = outcome.status !== "waiting" && outcome.status !== "running";
  await db
    .updateTable("runs")
    .set({
      status: outcome.status,
      output: await storePayload(db, outcome.outputJson),
      error: encodeJson(outcome.error),
      updated_at: outcome.at,
      ended_at: ended ? outcome.at : null,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where("id", "=", runId)
    .execute();
}

/**
 * Takes the run's lease if it is free, expired or this runtime's own (or `force`: take it now,
 * whoever holds it) and returns the new fencing epoch; undefined when another live owner
 * holds it. Every acquisition increments the epoch, so the previous owner's next write fails.
 */
export async function acquireLease(
  db: Db,
  runId: string,
  options: { owner: string; now: number; leaseMs: number; force?: boolean },
): Promise<number | undefined> {
  let query = db
    .updateTable("runs")
    .set((eb) => ({ lease_owner: options.owner, lease_expires_at: options.now + options.leaseMs, lease_epoch: eb("lease_epoch", "+", 1), status: "running", updated_at: options.now }))
    .where("id", "=", runId);
  if (!options.force) {
    query = query.where((where) => where.or([where("lease_owner", "is", null), where("lease_owner", "=", options.owner), where("lease_expires_at", "<", options.now)]));
  }
  const row = await query.returning("lease_epoch").executeTakeFirst();
  return row === undefined ? undefined : Number(row.lease_epoch);
}

/**
 * Gives a run back without ending it: the epoch grows (so the process that held it stops at its
 * next write, as after a take-over) and the lease is free for any process to take at once.
 * Used by a worker draining on SIGTERM. Returns false when `epoch` was no longer current.
 */
export async function releaseLease(db: Db, runId: string, options: { epoch: number; now: number; onlyExpired?: boolean }): Promise<boolean> {
  let query = db
    .updateTable("runs")
    .set((eb) => ({ lease_owner: null, lease_expires_at: null, lease_epoch: eb("lease_epoch", "+", 1), updated_at: options.now }))
    .where("id", "=", runId)
    .where("lease_epoch", "=", options.epoch)
    .where("status", "=", "running");
  // A sweeper frees only a lease its owner failed to renew in time (it may have renewed since).
  if (options.onlyExpired) query = query.where("lease_expires_at", "<", options.now);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * `acquireLease` under a per-workflow limit: at most `limit` runs of `workflow` held by a live
 * lease at once, across every process. An advisory lock per workflow serialises the count and
 * the take (PostgreSQL only: the limit is a worker feature). Returns "full" at the limit.
 */
export async function acquireLeaseWithinLimit(
  store: Store,
  run: { id: string; workflow: string },
  options: { owner: string; now: number; leaseMs: number; force?: boolean; limit: number },
): Promise<number | undefined | "full"> {
  return store.transaction(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`cadre-workflow:${run.workflow}`}))`.execute(tx);
    const row = await tx
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<number>().as("held"))
      .where("workflow", "=", run.workflow)
      .where("status", "=", "running")
      .where("lease_expires_at", ">", options.now)
      .where("id", "<>", run.id)
      .executeTakeFirst();
    if (Number(row?.held ?? 0) >= options.limit) return "full";
    return acquireLease(tx, run.id, options);
  });
}

/** Runs whose owner stopped renewing their lease (a killed process): a worker hands them on. */
export async function listOrphanedRuns(db: Db, options: { now: number; limit: number }): Promise<Array<{ id: string; workflow: string; epoch: number; owner: string | null }>> {
  const rows = await db
    .selectFrom("runs")
    .select(["id", "workflow", "lease_epoch", "lease_owner"])
    .where("status", "=", "running")
    .where("lease_owner", "is not", null)
    .where("lease_expires_at", "<", options.now)
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({ id: row.id, workflow: row.workflow, epoch: Number(row.lease_epoch), owner: row.lease_owner }));
}

/** How many runs of `workflow` wait, queued, for a worker to take them, counted up to `atMost` (a bound keeps a deep backlog cheap to count). */
export async function countPendingRuns(db: Db, workflow: string, atMost = 100): Promise<number> {
  const pending = db.selectFrom("runs").select("id").where("status", "=", "pending").where("workflow", "=", workflow).limit(atMost).as("pending");
  const row = await db.selectFrom(pending).select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** A run as listings show it: no input or output, so a page of runs reads no payloads. */
export interface RunSummary {
  id: string;
  workflow: string;
  status: RunStatus;
  createdAt: number;
  endedAt: number | null;
  parentRunId: string | null;
  error: SerializedError | undefined;
  /** Labels a worker must advertise to execute the run (only set when the workflow declares a placement). */
  placement?: Record<string, string>;
}

/** Where a page of runs (newest first) starts: after the run created at `createdAt` with `id`. */
export interface RunPosition {
  createdAt: number;
  id: string;
}

/** Runs newest first, as summaries; `after` continues a listing past the last run of the previous page. */
export async function listRunSummaries(db: Db, filter: RunFilter & { after?: RunPosition } = {}): Promise<RunSummary[]> {
  let query = db
    .selectFrom("runs")
    .select(["id", "workflow", "status", "created_at", "ended_at", "parent_run_id", "error", "placement"])
    .orderBy("created_at", "desc")
    .orderBy("id", "desc");
  if (filter.workflow) query = query.where("workflow", "=", filter.workflow);
  if (filter.status) query = query.where("status", "in", Array.isArray(filter.status) ? filter.status : [filter.status]);
  if (filter.parentRunId === null) query = query.where("parent_run_id", "is", null);
  else if (filter.parentRunId) query = query.where("parent_run_id", "=", filter.parentRunId);
  const after = filter.after;
  if (after) query = query.where((where) => where.or([where("created_at", "<", after.createdAt), where.and([where("created_at", "=", after.createdAt), where("id", "<", after.id)])]));
  const rows = await query.limit(filter.limit ?? 50).execute();
  return rows.map((row) => ({
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    createdAt: Number(row.created_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    parentRunId: row.parent_run_id,
    error: decodeJson<SerializedError>(row.error),
    ...(row.placement ? { placement: decodeJson<Record<string, string>>(row.placement)! } : {}),
  }));
}

/** The workflow of each of the runs, by run id (unknown ids are left out). */
export async function runWorkflows(db: Db, runIds: readonly string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.selectFrom("runs").select(["id", "workflow"]).where("id", "in", [...new Set(runIds)]).execute();
  return new Map(rows.map((row) => [row.id, row.workflow]));
}

/** Raises what a run was given (a top-up): a resume re-funds it up to the new total. */
export async function raiseRunBudget(db: Db, options: { runId: string; amount: number }): Promise<void> {
  await db.updateTable("runs").set((eb) => ({ budget: eb("budget", "+", options.amount) })).where("id", "=", options.runId).execute();
}
