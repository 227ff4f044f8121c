import { generateKeyPairSync, type KeyObject } from "node:crypto";
import type { Db } from "../../store/store.ts";
import { ConfigurationError } from "../../errors.ts";
import { privateKeyFrom, publicKeyFrom } from "./iou.ts";
import { PaymentKeyMissingError } from "./x402-errors.ts";

/** An agent's payment key pair as created: the public key (base64 SPKI DER) is what the payee trusts. */
export interface PaymentKey {
  agent: string;
  publicKey: string;
  createdAt: number;
}

/**
 * Creates the agent's Ed25519 payment key pair, or returns the one it has (keys are not
 * rotated silently: a payee trusts the public key it was given).
 */
export async function createPaymentKey(db: Db, agent: string, now: number): Promise<PaymentKey & { created: boolean }> {
  const existing = await paymentKey(db, agent);
  if (existing) return { ...existing, created: false };
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const row = {
    agent,
    public_key: publicKey.export({ format: "der", type: "spki" }).toString("base64"),
    private_key: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    created_at: now,
  };
  await db.insertInto("x402_keys").values(row).onConflict((conflict) => conflict.column("agent").doNothing()).execute();
  // A concurrent creation won: the stored pair is the agent's.
  const stored = (await paymentKey(db, agent))!;
  return { ...stored, created: stored.publicKey === row.public_key };
}

/** The agent's payment public key, if it has one. */
export async function paymentKey(db: Db, agent: string): Promise<PaymentKey | undefined> {
  const row = await db.selectFrom("x402_keys").select(["agent", "public_key", "created_at"]).where("agent", "=", agent).executeTakeFirst();
  return row ? { agent: row.agent, publicKey: row.public_key, createdAt: Number(row.created_at) } : undefined;
}

/** The key the agent signs IOUs with: PAYMENT_KEY_MISSING when it has none. */
export async function signingKey(db: Db, agent: string): Promise<KeyObject> {
  const row = await db.selectFrom("x402_keys").select(["private_key"]).where("agent", "=", agent).executeTakeFirst();
  if (!row) throw new PaymentKeyMissingError({ agent });
  return privateKeyFrom(row.private_key);
}

/** A payer whose IOUs this store accepts. */
export interface TrustedPayer {
  payer: string;
  publicKey: string;
  addedBy: string;
  addedAt: number;
}

/** Trusts (or re-keys) a payer: its IOUs must verify against `publicKey`. A key that is not an Ed25519 public key is a CONFIGURATION error. */
export async function trustPayer(db: Db, options: { payer: string; publicKey: string; by: string; now: number }): Promise<TrustedPayer> {
  let key: KeyObject;
  try {
    key = publicKeyFrom(options.publicKey);
  } catch (error) {
    throw new ConfigurationError({ message: `The public key for payer ${options.payer} is not a base64 DER (SPKI) public key: ${(error as Error).message}.`, fix: "Paste the key `cadre x402 keys create <agent>` printed on the payer's store.", payer: options.payer, field: "publicKey" }, { cause: error });
  }
  if (key.asymmetricKeyType !== "ed25519") throw new ConfigurationError({ message: `The public key for payer ${options.payer} is a ${key.asymmetricKeyType} key; IOUs are signed with Ed25519 keys.`, payer: options.payer, field: "publicKey" });
  const row = { payer: options.payer, public_key: options.publicKey, added_by: options.by, added_at: options.now };
  await db
    .insertInto("x402_trusted_payers")
    .values(row)
    .onConflict((conflict) => conflict.column("payer").doUpdateSet({ public_key: row.public_key, added_by: row.added_by, added_at: row.added_at }))
    .execute();
  return { payer: row.payer, publicKey: row.public_key, addedBy: row.added_by, addedAt: row.added_at };
}

export async function trustedPayers(db: Db): Promise<TrustedPayer[]> {
  const rows = await db.selectFrom("x402_trusted_payers").selectAll().orderBy("payer").execute();
  return rows.map((row) => ({ payer: row.payer, publicKey: row.public_key, addedBy: row.added_by, addedAt: Number(row.added_at) }));
}

/**
 * The public key a payer's IOUs must verify against: the key trusted for it (`cadre x402 trust`),
 * else, for an agent of this same store paying its own server, its own payment key.
 */
export async function trustedPayerKey(db: Db, payer: string): Promise<KeyObject | undefined> {
  const trusted = await db.selectFrom("x402_trusted_payers").select(["public_key"]).where("payer", "=", payer).executeTakeFirst();
  if (trusted) return publicKeyFrom(trusted.public_key);
  const own = await paymentKey(db, payer);
  return own ? publicKeyFrom(own.publicKey) : undefined;
}
