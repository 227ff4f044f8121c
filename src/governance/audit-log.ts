import { createHash } from "node:crypto";
import { sql } from "kysely";
import { beforeCommit, type Db, type StoreDialect } from "../store/store.ts";
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

/** The fields a record's hash covers, in canonical form. */
function hashedBody(record: Omit<AuditRecord, "hash" | "prevHash">): string {
  return canonicalJson({
    seq: record.seq,
    at: record.at,
    kind: record.kind,
    runId: record.runId,
    stepKey: record.stepKey,
    workflow: record.workflow,
    agent: record.agent,
    principal: record.principal,
    data: record.data,
  });
}
export function hashRecord(prevHash: string, record: Omit<AuditRecord, "hash" | "prevHash">): string {
  return createHash("sha256").update(prevHash).update(hashedBody(record)).digest("hex");
}

const pendingByTransaction = new WeakMap<object, AuditEntry[]>();

/**
 * Appends records to the hash chain as part of the caller's transaction, so each record
 * commits with the decision it describes. The records of one transaction are chained and
 * written together just before it commits: one read of the chain head, one insert, one
 * anchor update, however many decisions the transaction holds. On PostgreSQL an advisory
 * lock serializes appenders until commit; SQLite write transactions are already serial.
 */
export async function appendAudit(tx: Db, dialect: StoreDialect, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const pending = pendingByTransaction.get(tx);
  if (pending) {
    pending.push(...entries);
    return;
  }
  const buffer = [...entries];
  pendingByTransaction.set(tx, buffer);
  await beforeCommit(tx, async () => {
    pendingByTransaction.delete(tx);
    await writeChained(tx, dialect, buffer);
  });
}

async function writeChained(tx: Db, dialect: StoreDialect, entries: AuditEntry[]): Promise<void> {
  if (dialect === "postgres") await sql`select pg_advisory_xact_lock(hashtext('cadre-audit-chain'))`.execute(tx);
  // max() finds the head from the index directly; "order by seq desc limit 1" scanned in SQLite.
  const head = await tx
    .selectFrom("audit_log")
    .select(["seq", "hash"])
    .where("seq", "=", (eb) => eb.selectFrom("audit_log").select((inner) => inner.fn.max("seq").as("last")))
    .executeTakeFirst();
  let seq = head ? Number(head.seq) : 0;
  let prevHash = head?.hash ?? genesisHash;
  const rows = entries.map((entry) => {
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
      data: entry.data ?? {},
    };
    const hash = hashRecord(prevHash, record);
    const row = {
      seq,
      at: record.at,
      kind: record.kind,
      run_id: record.runId,
      step_key: record.stepKey,
      workflow: record.workflow,
      agent: record.agent,
      principal: record.principal,
      data: canonicalJson(record.data),
      prev_hash: prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  // Chunked to stay under the drivers' limits on bound parameters.
  for (let index = 0; index < rows.length; index += 500) await tx.insertInto("audit_log").values(rows.slice(index, index + 500)).execute();
  // The head is also kept apart from the log, so cutting records off the end is detected.
  const anchor = `${seq}:${prevHash}`;
  await tx
    .insertInto("cadre_meta")
    .values({ key: auditHeadKey, value: anchor })
    .onConflict((conflict) => conflict.column("key").doUpdateSet({ value: anchor }))
    .execute();
}

const auditHeadKey = "audit_head";

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

export type AuditVerification =
  | { ok: true; records: number; head: string }
  | { ok: false; records: number; brokenAt: number; reason: string };

/**
 * Walks the chain from the first record and names the first one that does not verify:
 * a changed record (hash mismatch), a deleted or reordered one (sequence gap or a
 * prev_hash that is not its predecessor's hash), or a truncated tail (fewer records than
 * the head anchor kept in cadre_meta, or than an anchor the caller kept).
 */
export async function verifyAuditChain(db: Db, options: { expectedRecords?: number; expectedHead?: string } = {}): Promise<AuditVerification> {
  const rows = await db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
  const anchor = await db.selectFrom("cadre_meta").select("value").where("key", "=", auditHeadKey).executeTakeFirst();
  const [anchoredRecords, anchoredHead] = anchor ? [Number(anchor.value.split(":")[0]), anchor.value.split(":")[1]] : [0, undefined];
  options = { expectedRecords: Math.max(options.expectedRecords ?? 0, anchoredRecords), expectedHead: options.expectedHead ?? anchoredHead };
  let prevHash = genesisHash;
  let expectedSeq = 1;
  for (const row of rows) {
    const seq = Number(row.seq);
    if (seq !== expectedSeq) return { ok: false, records: rows.length, brokenAt: expectedSeq, reason: `record ${expectedSeq} is missing (next record is ${seq})` };
    if (row.prev_hash !== prevHash) return { ok: false, records: rows.length, brokenAt: seq, reason: `record ${seq} does not follow record ${seq - 1} (prev_hash mismatch: deleted, reordered or replaced records)` };
    let record: AuditRecord;
    try {
      record = toAuditRecord(row);
    } catch {
      return { ok: false, records: rows.length, brokenAt: seq, reason: `record ${seq} is not readable (data is not JSON)` };
    }
    if (hashRecord(prevHash, record) !== row.hash) return { ok: false, records: rows.length, brokenAt: seq, reason: `record ${seq} was changed after it was written (hash mismatch)` };
    prevHash = row.hash;
    expectedSeq += 1;
  }
  if (options.expectedRecords !== undefined && rows.length < options.expectedRecords) {
    return { ok: false, records: rows.length, brokenAt: rows.length + 1, reason: `the log ends at record ${rows.length} but ${options.expectedRecords} were anchored: the tail was truncated` };
  }
  if (options.expectedHead && !rows.some((row) => row.hash === options.expectedHead)) {
    return { ok: false, records: rows.length, brokenAt: rows.length + 1, reason: "the anchored head hash is not in the log: the tail was truncated or rewritten" };
  }
  return { ok: true, records: rows.length, head: prevHash };
}
