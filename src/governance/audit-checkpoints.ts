import { sign, verify } from "node:crypto";
import { appendFileSync } from "node:fs";
import { CadreError, type CadreErrorOptions } from "../errors.ts";
import type { Db, Store } from "../store/store.ts";
import { readAuditHead, walkAuditChain, type ChainLink } from "./audit-log.ts";
import { loadAuditSigner, type AuditSigner, type AuditSigningOptions, type AuditVerifier } from "./audit-signing-key.ts";
import { canonicalJson } from "./canonical-json.ts";

/**
 * A signed anchor of the audit chain: the record at `seq` had hash `hash` when the key
 * `keyId` signed it at `at`. Whoever rewrites the log without the private key cannot make a
 * checkpoint agree with the rewritten records.
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  at: number;
  keyId: string;
  /** Ed25519 over `checkpointMessage`, base64. */
  signature: string;
}

/** The audit chain cannot be checkpointed: it does not verify, so signing its head would vouch for tampering. */
export class AuditChainBrokenError extends CadreError {
  constructor(details: { brokenAt: number; reason: string }, options?: CadreErrorOptions) {
    super("STORE_CORRUPT", `The audit chain is broken at record ${details.brokenAt} (${details.reason}); refusing to sign a checkpoint over it. Run \`cadre audit verify\`.`, { ...options, details });
  }
}

/** The bytes a checkpoint's signature covers. The type tag keeps the signature from meaning anything else. */
export function checkpointMessage(checkpoint: Pick<AuditCheckpoint, "seq" | "hash" | "at">): Buffer {
  return Buffer.from(canonicalJson({ type: "cadre.audit.checkpoint", seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at }));
}

export function signCheckpoint(signer: AuditSigner, link: ChainLink, at: number): AuditCheckpoint {
  const signature = sign(null, checkpointMessage({ ...link, at }), signer.privateKey).toString("base64");
  return { seq: link.seq, hash: link.hash, at, keyId: signer.keyId, signature };
}

/** Why a checkpoint's signature does not hold with these keys, or null when it does. */
export function checkpointSignatureProblem(checkpoint: AuditCheckpoint, verifiers: readonly AuditVerifier[]): string | null {
  const verifier = verifiers.find((candidate) => candidate.keyId === checkpoint.keyId);
  if (!verifier) return `is signed by key ${checkpoint.keyId}, which is not among the public keys given (${verifiers.map((known) => known.keyId).join(", ")})`;
  let valid = false;
  try {
    valid = verify(null, checkpointMessage(checkpoint), verifier.publicKey, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    valid = false;
  }
  return valid ? null : "has a signature that does not verify: it was forged or altered";
}

export function toAuditCheckpoint(row: { seq: number; hash: string; at: number; key_id: string; signature: string }): AuditCheckpoint {
  return { seq: Number(row.seq), hash: row.hash, at: Number(row.at), keyId: row.key_id, signature: row.signature };
}

async function latestCheckpoint(db: Db): Promise<AuditCheckpoint | null> {
  const row = await db.selectFrom("audit_checkpoints").selectAll().orderBy("seq", "desc").limit(1).executeTakeFirst();
  return row ? toAuditCheckpoint(row) : null;
}

/** What `checkpointAudit` did: the checkpoint at the head, and whether this call wrote it. */
export type CheckpointOutcome = { checkpoint: AuditCheckpoint; created: boolean; file?: string };

/**
 * Signs the current head of the audit chain and stores the checkpoint in `audit_checkpoints`
 * (and appends it to the outside checkpoint file when one is configured). Writing a checkpoint
 * is not itself an audit record: it vouches for the head without moving it. Only records the
 * previous checkpoint does not cover are re-verified before signing (the whole chain the first
 * time), so a checkpoint never vouches for a chain already broken. Returns null when no signing
 * key is configured or the log is empty; a head that already has a checkpoint is left as it is.
 */
export async function checkpointAudit(store: Store, options: AuditSigningOptions | AuditSigner = {}, clock: { now?: () => number } = {}): Promise<CheckpointOutcome | null> {
  const signer = "privateKey" in options ? options : loadAuditSigner(options);
  if (!signer) return null;
  // Read before the head: an append commits its records and the head together, so a record or
  // checkpoint seen here guarantees a head below, unless someone deleted it.
  const latest = await latestCheckpoint(store.db);
  const anyRecord = await store.db.selectFrom("audit_log").select("seq").limit(1).executeTakeFirst();
  const head = await readAuditHead(store.db);
  if (!head) {
    if (anyRecord || latest) throw new AuditChainBrokenError({ brokenAt: 1, reason: "the chain head (audit_head in cadre_meta) is missing" });
    return null;
  }
  if (head.seq === 0) return null;
  if (latest && latest.seq >= head.seq) {
    if (latest.seq === head.seq && latest.hash === head.hash) return { checkpoint: latest, created: false };
    throw new AuditChainBrokenError({ brokenAt: Math.min(latest.seq, head.seq + 1), reason: `a checkpoint at record ${latest.seq} does not match the head (record ${head.seq})` });
  }
  // A checkpoint signed by this key is a verified starting point; one signed by another key (before a rotation) is not.
  const from = latest && latest.keyId === signer.keyId && !checkpointSignatureProblem(latest, [signer]) ? latest : undefined;
  const walk = await walkAuditChain(store.db, { from, throughSeq: head.seq });
  if (!walk.ok) throw new AuditChainBrokenError(walk);
  if (walk.last.seq !== head.seq || walk.last.hash !== head.hash) throw new AuditChainBrokenError({ brokenAt: walk.last.seq + 1, reason: `the log does not reach the head kept in cadre_meta (record ${head.seq})` });
  const checkpoint = signCheckpoint(signer, head, (clock.now ?? Date.now)());
  const inserted = await store.db
    .insertInto("audit_checkpoints")
    .values({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, key_id: checkpoint.keyId, signature: checkpoint.signature })
    .onConflict((conflict) => conflict.column("seq").doNothing())
    .executeTakeFirst();
  // Another process checkpointed the same head at the same time: its checkpoint stands.
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    const standing = await store.db.selectFrom("audit_checkpoints").selectAll().where("seq", "=", checkpoint.seq).executeTakeFirstOrThrow();
    return { checkpoint: toAuditCheckpoint(standing), created: false };
  }
  if (!signer.checkpointFile) return { checkpoint, created: true };
  appendFileSync(signer.checkpointFile, `${JSON.stringify(checkpoint)}\n`, { mode: 0o644 });
  return { checkpoint, created: true, file: signer.checkpointFile };
}
