import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Db } from "../store/store.ts";

/** A new credential: the secret is returned once and only its hash is stored. */
export interface IssuedCredential {
  id: string;
  agent: string;
  /** `cadre_<prefix>_<secret>`: show it once, store it in the agent's secret manager. */
  secret: string;
  prefix: string;
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export async function createCredential(tx: Db, options: { agent: string; now: number }): Promise<IssuedCredential> {
  const prefix = randomBytes(4).toString("hex");
  const secret = `cadre_${prefix}_${randomBytes(24).toString("base64url")}`;
  const id = randomUUID();
  await tx.insertInto("credentials").values({ id, agent: options.agent, prefix, secret_hash: hashSecret(secret), created_at: options.now, revoked_at: null, last_used_at: null }).execute();
  return { id, agent: options.agent, secret, prefix };
}

/** Revokes every live credential of the agent; returns how many. */
export async function revokeCredentials(tx: Db, options: { agent: string; now: number }): Promise<number> {
  const result = await tx.updateTable("credentials").set({ revoked_at: options.now }).where("agent", "=", options.agent).where("revoked_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Issues a new credential and revokes the old ones in the same transaction. */
export async function rotateCredential(tx: Db, options: { agent: string; now: number }): Promise<IssuedCredential> {
  await revokeCredentials(tx, options);
  return createCredential(tx, options);
}

/** Returns the agent a presented secret belongs to, or null if it is unknown or revoked. */
export async function verifyCredential(tx: Db, options: { secret: string; now: number }): Promise<string | null> {
  const match = /^cadre_([0-9a-f]{8})_/.exec(options.secret);
  if (!match) return null;
  const rows = await tx.selectFrom("credentials").selectAll().where("prefix", "=", match[1]!).where("revoked_at", "is", null).execute();
  const presented = Buffer.from(hashSecret(options.secret));
  for (const row of rows) {
    if (timingSafeEqual(presented, Buffer.from(row.secret_hash))) {
      await tx.updateTable("credentials").set({ last_used_at: options.now }).where("id", "=", row.id).execute();
      return row.agent;
    }
  }
  return null;
}

/** A credential as listings show it: never the secret, nor its hash. */
export interface CredentialRecord {
  id: string;
  agent: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const epochOrNull = (value: number | string | null) => (value === null ? null : Number(value));

/** The agent's credentials, oldest first, revoked ones included. */
export async function listCredentials(db: Db, agent: string): Promise<CredentialRecord[]> {
  const rows = await db.selectFrom("credentials").select(["id", "agent", "prefix", "created_at", "revoked_at", "last_used_at"]).where("agent", "=", agent).orderBy("created_at").execute();
  return rows.map((row) => ({ id: row.id, agent: row.agent, prefix: row.prefix, createdAt: Number(row.created_at), revokedAt: epochOrNull(row.revoked_at), lastUsedAt: epochOrNull(row.last_used_at) }));
}
