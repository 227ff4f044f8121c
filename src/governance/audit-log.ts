import { hash } from "node:crypto";
import { sql } from "kysely";
import { compiledQuery } from "../store/compiled-query.ts";
import type { AuditLogTable } from "../store/schema.ts";
import { beforeCommit, send, type Db, type StoreDialect } from "../store/store.ts";
import { canonicalJson } from "./canonical-json.ts";

/** One audit record before it is chained. Every record names who, for whom, in which run and step. */
export interface AuditEntry {
  kind: string;
  at: number;
  runId?: string | null;
  stepKey?: string | null;
  workflow?: string | null;
  agent?: string | null;
  principal?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: number;
  kind: string;
  runId: string | null;
  stepKey: string | null;
  workflow: string | null;
  agent: string | null;
  principal: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const genesisHash = "0".repeat(64);

/**
 * The fields a record's hash covers, in canonical form: `canonicalJson` of the record with its
 * keys in sorted order, spelled out so the data, already canonical, is not canonicalised twice.
 */
function hashedBody(record: Omit<AuditRecord, "hash" | "prevHash" | "data">, canonicalData: string): string {
  const json = JSON.stringify;
  return `{"agent":${json(record.agent)},"at":${json(record.at)},"data":${canonicalData},"kind":${json(record.kind)},"principal":${json(record.principal)},"runId":${json(record.runId)},"seq":${json(record.seq)},"stepKey":${json(record.stepKey)},"workflow":${json(record.workflow)}}`;
}
function chainHash(prevHash: string, record: Omit<AuditRecord, "hash" | "prevHash" | "data">, canonicalData: string): string {
  // One-shot hashing of the concatenation (the same digest as two updates) skips a Hash object per record.
  return hash("sha256", prevHash + hashedBody(record, canonicalData), "hex");
}
export function hashRecord(prevHash: string, record: Omit<AuditRecord, "hash" | "prevHash">): string {
  return chainHash(prevHash, record, canonicalJson(record.data));
}

const pendingByTransaction = new WeakMap<object, Array<AuditEntry[] | Promise<AuditEntry[]>>>();

/**
 * Appends records to the hash chain as part of the caller's transaction, so each record
 * commits with the decision it describes. The records of one transaction are chained and
 * written together just before it commits: one read of the chain head, one insert, one
 * head update, however many decisions the transaction holds. `entries` may be a promise:
 * records that name what a statement not yet answered decided (the amount a settlement
 * charged), awaited just before they are chained; if it rejects, the transaction fails.
 */
export async function appendAudit(tx: Db, dialect: StoreDialect, entries: AuditEntry[] | Promise<AuditEntry[]>): Promise<void> {
  if (Array.isArray(entries) && entries.length === 0) return;
  // Awaited when the records are chained; until then a rejection must not count as unhandled.
  if (!Array.isArray(entries)) entries.catch(() => {});
  const pending = pendingByTransaction.get(tx);
  if (pending) {
    pending.push(entries);
    return;
  }
  const buffer = [entries];
  pendingByTransaction.set(tx, buffer);
  await beforeCommit(tx, async () => {
    pendingByTransaction.delete(tx);
    // The head is read (and locked) at once, with the statements whose answers the records wait for.
    const head = lockHead(tx, dialect);
    head.catch(() => {});
    // Pushed, not concatenated: a batched transaction holds one part per decision (thousands
    // in a wide fan-out), and concat would copy the growing list once per part.
    const all: AuditEntry[] = [];
    for (const part of buffer) for (const entry of await part) all.push(entry);
    await writeChained(tx, dialect, all, await head);
  });
}

const auditHeadKey = "audit_head";

/**
 * Reads the chain head (`seq:hash`, kept in cadre_meta apart from the log) and locks it until
 * the transaction ends. On PostgreSQL `for update` serializes appenders of this store (not of
 * other schemas in the database) and, under READ COMMITTED, returns the head as the previous
 * appender committed it; SQLite write transactions are already serial. Chaining from the
 * kept head rather than from the last row means records cut off the end stay detectable
 * after later appends.
 */
async function lockHead(tx: Db, dialect: StoreDialect): Promise<{ seq: number; hash: string }> {
  const read = async () => (await (dialect === "postgres" ? selectHeadForUpdate : selectHead)(tx, {})).rows[0];
  let row = await read();
  if (!row) {
    // The first append to this store: create the head, then lock it like everyone else.
    await tx.insertInto("cadre_meta").values({ key: auditHeadKey, value: `0:${genesisHash}` }).onConflict((conflict) => conflict.column("key").doNothing()).execute();
    row = await read();
  }
  return parseHead(row!.value);
}
function parseHead(value: string): { seq: number; hash: string } {
  const [seq, hash] = value.split(":");
  return { seq: Number(seq), hash: hash! };
}
const selectHead = compiledQuery((db) => db.selectFrom("cadre_meta").select("value").where("key", "=", auditHeadKey));
const selectHeadForUpdate = compiledQuery((db) => db.selectFrom("cadre_meta").select("value").where("key", "=", auditHeadKey).forUpdate());
const updateHead = compiledQuery((db, head: { value: string }) => db.updateTable("cadre_meta").set({ value: head.value }).where("key", "=", auditHeadKey));

/** A row of the log as written: the table's columns (a type alias, so it serves as compiled-query parameters). */
type ChainedRow = { [Column in keyof AuditLogTable]: Column extends "seq" ? number : AuditLogTable[Column] };
const insertRecord = compiledQuery((db, row: ChainedRow) =>
  db.insertInto("audit_log").values({ seq: row.seq, at: row.at, kind: row.kind, run_id: row.run_id, step_key: row.step_key, workflow: row.workflow, agent: row.agent, principal: row.principal, data: row.data, prev_hash: row.prev_hash, hash: row.hash }),
);

/** Many records in one PostgreSQL statement: one array parameter per column, however many records. */
type ChainedColumns = { [Column in keyof ChainedRow]: Array<ChainedRow[Column]> };
const insertRecords = compiledQuery((db, columns: ChainedColumns) =>
  db
    .insertInto("audit_log")
    .columns(["seq", "at", "kind", "run_id", "step_key", "workflow", "agent", "principal", "data", "prev_hash", "hash"])
    .expression(
      sql`select * from unnest(${columns.seq}::bigint[], ${columns.at}::bigint[], ${columns.kind}::text[], ${columns.run_id}::text[], ${columns.step_key}::text[], ${columns.workflow}::text[], ${columns.agent}::text[], ${columns.principal}::text[], ${columns.data}::text[], ${columns.prev_hash}::text[], ${columns.hash}::text[])`,
    ),
);

function toColumns(rows: ChainedRow[]): ChainedColumns {
  return {
    seq: rows.map((row) => row.seq),
    at: rows.map((row) => row.at),
    kind: rows.map((row) => row.kind),
    run_id: rows.map((row) => row.run_id),
    step_key: rows.map((row) => row.step_key),
    workflow: rows.map((row) => row.workflow),
    agent: rows.map((row) => row.agent),
    principal: rows.map((row) => row.principal),
    data: rows.map((row) => row.data),
    prev_hash: rows.map((row) => row.prev_hash),
    hash: rows.map((row) => row.hash),
  };
}

async function writeChained(tx: Db, dialect: StoreDialect, entries: AuditEntry[], head: { seq: number; hash: string }): Promise<void> {
  if (entries.length === 0) return;
  let seq = head.seq;
  let prevHash = head.hash;
  const rows = entries.map((entry): ChainedRow => {
    seq += 1;
    const record = {
      seq,
      at: entry.at,
      kind: entry.kind,
      runId: entry.runId ?? null,
      stepKey: entry.stepKey ?? null,
      workflow: entry.workflow ?? null,
      agent: entry.agent ?? null,
      principal: entry.principal ?? null,
    };
    const data = canonicalJson(entry.data ?? {});
    const hash = chainHash(prevHash, record, data);
    const row = {
      seq,
      at: record.at,
      kind: record.kind,
      run_id: record.runId,
      step_key: record.stepKey,
      workflow: record.workflow,
      agent: record.agent,
      principal: record.principal,
      data,
      prev_hash: prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  // Sent without waiting for the answers: on PostgreSQL they go out with the COMMIT.
  if (dialect === "sqlite" || rows.length === 1) {
    // One compiled statement per record: no round trip on SQLite, no query building.
    for (const row of rows) await send(tx, insertRecord(tx, row));
  } else {
    // One statement for many records on PostgreSQL, whatever their number.
    await send(tx, insertRecords(tx, toColumns(rows)));
  }
  await send(tx, updateHead(tx, { value: `${seq}:${prevHash}` }));
}

export function toAuditRecord(row: { seq: number; at: number; kind: string; run_id: string | null; step_key: string | null; workflow: string | null; agent: string | null; principal: string | null; data: string; prev_hash: string; hash: string }): AuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    kind: row.kind,
    runId: row.run_id,
    stepKey: row.step_key,
    workflow: row.workflow,
    agent: row.agent,
    principal: row.principal,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

type AuditRow = Parameters<typeof toAuditRecord>[0];

/**
 * The raw rows of the log in sequence order, read a page at a time so a long log never sits
 * in memory at once. `runId` keeps only one run's records; `afterSeq` and `throughSeq` bound
 * the range of sequence numbers.
 */
export async function* readAuditRows(db: Db, options: { runId?: string; afterSeq?: number; throughSeq?: number; pageSize?: number } = {}): AsyncGenerator<AuditRow> {
  const pageSize = options.pageSize ?? 1000;
  let after = options.afterSeq ?? Number.MIN_SAFE_INTEGER;
  for (;;) {
    let query = db.selectFrom("audit_log").selectAll().where("seq", ">", after).orderBy("seq").limit(pageSize);
    if (options.runId) query = query.where("run_id", "=", options.runId);
    if (options.throughSeq !== undefined) query = query.where("seq", "<=", options.throughSeq);
    const page = await query.execute();
    yield* page;
    if (page.length < pageSize) return;
    after = Number(page[page.length - 1]!.seq);
  }
}

/** What an audit listing keeps: records of one run, kind (`run.*` matches a family), agent or principal, in a time range. */
export interface AuditFilter {
  runId?: string;
  /** An exact kind, or a family with a trailing `*` (`approval.*`). */
  kind?: string;
  agent?: string;
  principal?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

/** One page of the log, newest first: the `limit` records before `beforeSeq` (from the head without it) matching the filter. */
export async function readAuditPage(db: Db, options: AuditFilter & { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
  let query = db.selectFrom("audit_log").selectAll().orderBy("seq", "desc").limit(options.limit);
  if (options.beforeSeq !== undefined) query = query.where("seq", "<", options.beforeSeq);
  if (options.runId !== undefined) query = query.where("run_id", "=", options.runId);
  if (options.kind !== undefined) query = options.kind.endsWith("*") ? query.where("kind", "like", `${options.kind.slice(0, -1).replace(/[%_\\]/g, "")}%`) : query.where("kind", "=", options.kind);
  if (options.agent !== undefined) query = query.where("agent", "=", options.agent);
  if (options.principal !== undefined) query = query.where("principal", "=", options.principal);
  if (options.since !== undefined) query = query.where("at", ">=", options.since);
  if (options.until !== undefined) query = query.where("at", "<", options.until);
  return (await query.execute()).map(toAuditRecord);
}

/** A point of the chain: a record's sequence number and hash (seq 0 is the genesis hash). */
export interface ChainLink {
  seq: number;
  hash: string;
}

export const genesisLink: ChainLink = { seq: 0, hash: genesisHash };

/** The head kept in cadre_meta, or null when the row is missing (a fresh store, or a deleted head). */
export async function readAuditHead(db: Db): Promise<ChainLink | null> {
  const row = (await selectHead(db, {})).rows[0];
  return row ? parseHead(row.value) : null;
}

export type ChainWalk = { ok: true; last: ChainLink } | { ok: false; brokenAt: number; reason: string };

/**
 * Checks every link of the records after `from` up to `throughSeq` (or the end): no gap, each
 * record's prev_hash is its predecessor's hash, each hash covers its record. Stops at the first
 * broken record. Starting from a link already verified (a signed checkpoint) checks only the rest.
 */
export async function walkAuditChain(db: Db, options: { from?: ChainLink; throughSeq?: number; pageSize?: number; onRecord?: (link: ChainLink) => void } = {}): Promise<ChainWalk> {
  const from = options.from ?? genesisLink;
  let prevHash = from.hash;
  let expectedSeq = from.seq + 1;
  const broken = (brokenAt: number, reason: string): ChainWalk => ({ ok: false, brokenAt, reason });
  for await (const row of readAuditRows(db, { afterSeq: from.seq, throughSeq: options.throughSeq, pageSize: options.pageSize })) {
    const seq = Number(row.seq);
    if (seq !== expectedSeq) return broken(expectedSeq, `record ${expectedSeq} is missing (next record is ${seq})`);
    if (row.prev_hash !== prevHash) return broken(seq, `record ${seq} does not follow record ${seq - 1} (prev_hash mismatch: deleted, reordered or replaced records)`);
    let record: AuditRecord;
    try {
      record = toAuditRecord(row);
    } catch {
      return broken(seq, `record ${seq} is not readable (data is not JSON)`);
    }
    if (hashRecord(prevHash, record) !== row.hash) return broken(seq, `record ${seq} was changed after it was written (hash mismatch)`);
    options.onRecord?.({ seq, hash: row.hash });
    prevHash = row.hash;
    expectedSeq += 1;
  }
  return { ok: true, last: { seq: expectedSeq - 1, hash: prevHash } };
}

/** The highest sequence number in the log (0 when it is empty). */
export async function lastAuditSeq(db: Db): Promise<number> {
  const row = await db.selectFrom("audit_log").select((eb) => eb.fn.max("seq").as("last")).executeTakeFirst();
  return Number(row?.last ?? 0);
}

export type AuditVerification =
  | { ok: true; records: number; head: string }
  | { ok: false; records: number; brokenAt: number; reason: string };

/**
 * Walks the chain from the first record up to the head kept in cadre_meta and names the first
 * thing that does not verify: a changed record (hash mismatch), a deleted or reordered one
 * (sequence gap or a prev_hash that is not its predecessor's hash), a truncated tail (the log
 * ends before the kept head, or does not contain a head hash the caller kept elsewhere), a
 * rewritten tail (the record at the head's seq has another hash), records past the head (no
 * appender wrote them: appenders move the head in the same transaction) and a missing head row
 * while records exist. Someone able to rewrite both the log and the kept head can only be
 * caught by a head kept outside the store: pass it as `expectedHead` (and `expectedRecords`),
 * or use signed checkpoints (`verifyAudit`).
 */
export async function verifyAuditChain(db: Db, options: { expectedRecords?: number; expectedHead?: string; pageSize?: number } = {}): Promise<AuditVerification> {
  const anchor = await readAuditHead(db);
  const counted = await db.selectFrom("audit_log").select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirst();
  const records = Number(counted?.count ?? 0);
  const broken = (brokenAt: number, reason: string): AuditVerification => ({ ok: false, records, brokenAt, reason });
  let sawExpectedHead = options.expectedHead === undefined;
  const walk = await walkAuditChain(db, {
    throughSeq: anchor?.seq,
    pageSize: options.pageSize,
    onRecord: (link) => {
      if (link.hash === options.expectedHead) sawExpectedHead = true;
    },
  });
  if (!walk.ok) return broken(walk.brokenAt, walk.reason);
  const last = walk.last.seq;
  const anchoredSeq = anchor?.seq ?? 0;
  const expectedRecords = Math.max(options.expectedRecords ?? 0, anchoredSeq);
  if (last < expectedRecords) return broken(last + 1, `the log ends at record ${last} but ${expectedRecords} were anchored: the tail was truncated`);
  if (anchor && walk.last.hash !== anchor.hash) return broken(anchor.seq, `record ${anchor.seq} is not the head kept in cadre_meta: the tail was rewritten`);
  if (!sawExpectedHead) return broken(last + 1, "the anchored head hash is not in the log: the tail was truncated or rewritten");
  const beyond = await recordsBeyondHead(db);
  if (beyond?.headSeq === null) return broken(beyond.first, `the chain head (audit_head in cadre_meta) is missing while the log holds records (up to record ${beyond.last}): the head was deleted`);
  if (beyond) return broken(beyond.first, `record ${beyond.first} is past the head kept in cadre_meta (record ${beyond.headSeq}): records were added outside the chain's writer`);
  return { ok: true, records, head: walk.last.hash };
}

/**
 * Records beyond the head (`headSeq` null: there is no head row at all). An appender inserts
 * records and moves (or first creates) the head in one transaction, so every committed record
 * is at or below the committed head. The last seq is read before the head: a record appended
 * while the chain was walked is then covered by the head read after it, and concurrent appends
 * are never mistaken for forgeries or for a deleted head.
 */
async function recordsBeyondHead(db: Db): Promise<{ first: number; last: number; headSeq: number | null } | null> {
  const last = await lastAuditSeq(db);
  const head = await readAuditHead(db);
  if (last <= (head?.seq ?? 0)) return null;
  const first = await db.selectFrom("audit_log").select("seq").where("seq", ">", head?.seq ?? 0).orderBy("seq").limit(1).executeTakeFirstOrThrow();
  return { first: Number(first.seq), last, headSeq: head ? head.seq : null };
}

/** A settled effect whose real cost was above its hold: the ledger charged the hold, the audit record keeps the rest. */
export interface SettlementOverrun {
  runId: string | null;
  agent: string | null;
  overrunMicros: number;
}

/** Every settlement since an instant whose cost went over its hold (`gateway.settle` records with `overrunMicros`). */
export async function settlementOverruns(db: Db, options: { since?: number } = {}): Promise<SettlementOverrun[]> {
  let query = db.selectFrom("audit_log").select(["run_id", "agent", "data"]).where("kind", "=", "gateway.settle").where("data", "like", '%"overrunMicros":%');
  if (options.since !== undefined) query = query.where("at", ">=", options.since);
  const rows = await query.orderBy("seq").execute();
  return rows.map((row) => ({ runId: row.run_id, agent: row.agent, overrunMicros: Number((JSON.parse(row.data) as { overrunMicros?: number }).overrunMicros ?? 0) }));
}
