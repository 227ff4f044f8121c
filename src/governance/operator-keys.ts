import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Db } from "../store/store.ts";

/**
 * What a key may do over the HTTP API, each role including the ones before it: a viewer
 * reads; an approver also decides approvals; an operator also starts, resumes and cancels
 * runs, funds budgets and manages grants and credentials; an admin also revokes and restores
 * agents and manages operator keys.
 */
export const operatorRoles = ["viewer", "approver", "operator", "admin"] as const;

export type OperatorRole = (typeof operatorRoles)[number];

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === "string" && (operatorRoles as readonly string[]).includes(value);
}

/** True when `role` includes everything `needed` may do. */
export function roleAllows(role: OperatorRole, needed: OperatorRole): boolean {
  return operatorRoles.indexOf(role) >= operatorRoles.indexOf(needed);
}

/** A new operator key: the secret is returned once and only its hash is stored. */
export interface IssuedOperatorKey {
  id: string;
  operator: string;
  role: OperatorRole;
  /** `cadre_op_<prefix>_<secret>`: sent as `Authorization: Bearer <secret>`. */
  secret: string;
  prefix: string;
}

/** An operator key as listings show it: never the secret, nor its hash. */
export interface OperatorKeyRecord {
  id: string;
  operator: string;
  role: OperatorRole;
  prefix: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");
const secretPattern = /^cadre_op_([0-9a-f]{8})_[A-Za-z0-9_-]+$/;

export async function insertOperatorKey(tx: Db, options: { operator: string; role: OperatorRole; createdBy: string; now: number }): Promise<IssuedOperatorKey> {
  const prefix = randomBytes(4).toString("hex");
  const secret = `cadre_op_${prefix}_${randomBytes(24).toString("base64url")}`;
  const id = randomUUID();
  await tx
    .insertInto("operator_keys")
    .values({ id, operator: options.operator, role: options.role, prefix, secret_hash: hashSecret(secret), created_at: options.now, created_by: options.createdBy, revoked_at: null, last_used_at: null })
    .execute();
  return { id, operator: options.operator, role: options.role, secret, prefix };
}

/** Revokes the live keys of an operator, or only the key `keyId`; returns the ids revoked. */
export async function revokeOperatorKeys(tx: Db, options: { operator?: string; keyId?: string; now: number }): Promise<string[]> {
  let query = tx.selectFrom("operator_keys").select("id").where("revoked_at", "is", null);
  if (options.operator !== undefined) query = query.where("operator", "=", options.operator);
  if (options.keyId !== undefined) query = query.where("id", "=", options.keyId);
  const ids = (await query.execute()).map((row) => row.id);
  if (ids.length > 0) await tx.updateTable("operator_keys").set({ revoked_at: options.now }).where("id", "in", ids).execute();
  return ids;
}

/** How stale a key's `last_used_at` may get: marking every request would make each read a write. */
export const lastUsedResolutionMs = 60_000;

/** The live key a presented secret is, or null when it is malformed, unknown or revoked. Marks it used (to the minute). */
export async function verifyOperatorKey(db: Db, options: { secret: string; now: number }): Promise<OperatorKeyRecord | null> {
  const match = secretPattern.exec(options.secret);
  if (!match) return null;
  const rows = await db.selectFrom("operator_keys").selectAll().where("prefix", "=", match[1]!).where("revoked_at", "is", null).execute();
  const presented = Buffer.from(hashSecret(options.secret));
  for (const row of rows) {
    if (!timingSafeEqual(presented, Buffer.from(row.secret_hash))) continue;
    const record = toRecord(row);
    if (record.lastUsedAt !== null && options.now - record.lastUsedAt < lastUsedResolutionMs) return record;
    await db.updateTable("operator_keys").set({ last_used_at: options.now }).where("id", "=", row.id).execute();
    return { ...record, lastUsedAt: options.now };
  }
  return null;
}

/** Every operator key, oldest first, revoked ones included; of one operator with `operator`. */
export async function listOperatorKeys(db: Db, options: { operator?: string } = {}): Promise<OperatorKeyRecord[]> {
  let query = db.selectFrom("operator_keys").selectAll().orderBy("created_at").orderBy("id");
  if (options.operator !== undefined) query = query.where("operator", "=", options.operator);
  return (await query.execute()).map(toRecord);
}

const epochOrNull = (value: number | string | null) => (value === null ? null : Number(value));

function toRecord(row: { id: string; operator: string; role: string; prefix: string; created_at: number; created_by: string; revoked_at: number | null; last_used_at: number | null }): OperatorKeyRecord {
  return {
    id: row.id,
    operator: row.operator,
    role: row.role as OperatorRole,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    revokedAt: epochOrNull(row.revoked_at),
    lastUsedAt: epochOrNull(row.last_used_at),
  };
}
