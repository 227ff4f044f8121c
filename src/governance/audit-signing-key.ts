import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../errors.ts";

/**
 * Where the audit checkpoint keys live. The private key must stay outside the store (and away
 * from whoever can write to it): with it, anyone could sign a rewritten chain.
 */
export interface AuditSigningOptions {
  /** Path of the Ed25519 private key (PEM) that signs checkpoints. Default: the CADRE_AUDIT_KEY environment variable. */
  signingKey?: string;
  /** Path of the public key (PEM) that verifies them. Default: derived from the signing key. */
  publicKey?: string;
  /** Path of an append-only JSON-lines file outside the store that receives every checkpoint too. */
  checkpointFile?: string;
}

/** An audit key is missing, unreadable or not an Ed25519 key: fix the path or the configuration. */
export class AuditKeyError extends CadreError {
  constructor(details: MessageDetails, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("AUDIT_KEY", message, { ...options, details: facts });
  }
}

/** The key that signs checkpoints, with its public half and the fingerprint stored beside each signature. */
export interface AuditSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  checkpointFile?: string;
}

/** A public key that verifies checkpoints, by fingerprint. */
export interface AuditVerifier {
  keyId: string;
  publicKey: KeyObject;
}

export const auditKeyEnvironmentVariable = "CADRE_AUDIT_KEY";

/** The short fingerprint of a public key: sha256 of its DER (SubjectPublicKeyInfo), 16 hex digits. */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new AuditKeyError({ message: `Cannot read the audit ${what} key ${path}: ${(error as Error).message}.`, fix: "Create a pair with `cadre audit keygen`.", path }, { cause: error });
  }
}

function requireEd25519(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new AuditKeyError({ message: `${path} is a ${key.asymmetricKeyType ?? "symmetric"} key; audit checkpoints need an Ed25519 key (\`cadre audit keygen\`).`, path });
  }
  return key;
}

/** Reads a PEM key of the given kind and insists on Ed25519. */
function loadKey(path: string, kind: "private" | "public"): KeyObject {
  const pem = readKeyFile(path, kind === "private" ? "signing" : "public");
  try {
    return requireEd25519(kind === "private" ? createPrivateKey(pem) : createPublicKey(pem), path);
  } catch (error) {
    if (CadreError.is(error)) throw error;
    throw new AuditKeyError({ message: `${path} is not a PEM ${kind} key: ${(error as Error).message}`, path }, { cause: error });
  }
}

function signingKeyPath(options: AuditSigningOptions, environment: NodeJS.ProcessEnv): string | undefined {
  return environment[auditKeyEnvironmentVariable] || options.signingKey;
}

/** The configured signer (CADRE_AUDIT_KEY, else `signingKey`), or null when no key is configured. */
export function loadAuditSigner(options: AuditSigningOptions = {}, environment: NodeJS.ProcessEnv = process.env): AuditSigner | null {
  const path = signingKeyPath(options, environment);
  if (!path) return null;
  const privateKey = loadKey(resolve(path), "private");
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: auditKeyId(publicKey), checkpointFile: options.checkpointFile && resolve(options.checkpointFile) };
}

/**
 * The public keys that verify checkpoints: the paths given (`--public-key`), else the configured
 * `publicKey`, else the public half of the configured signing key. Empty when none is configured.
 */
export function loadAuditVerifiers(options: AuditSigningOptions & { publicKeys?: string[] } = {}, environment: NodeJS.ProcessEnv = process.env): AuditVerifier[] {
  const paths = options.publicKeys?.length ? options.publicKeys : options.publicKey ? [options.publicKey] : [];
  if (paths.length > 0) {
    return paths.map((path) => {
      const publicKey = loadKey(resolve(path), "public");
      return { keyId: auditKeyId(publicKey), publicKey };
    });
  }
  const signer = loadAuditSigner(options, environment);
  return signer ? [{ keyId: signer.keyId, publicKey: signer.publicKey }] : [];
}

/**
 * Writes a new Ed25519 pair into `directory`: `cadre-audit.key` (PKCS#8, mode 0600) and
 * `cadre-audit.pub` (SPKI). Refuses to overwrite an existing key.
 */
export function generateAuditKeyPair(directory: string): { privateKeyPath: string; publicKeyPath: string; keyId: string } {
  const privateKeyPath = resolve(join(directory, "cadre-audit.key"));
  const publicKeyPath = resolve(join(directory, "cadre-audit.pub"));
  for (const path of [privateKeyPath, publicKeyPath]) {
    if (existsSync(path)) throw new AuditKeyError({ message: `${path} already exists; move it away or pass another --out directory.`, path });
  }
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  mkdirSync(directory, { recursive: true });
  writeFileSync(privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  writeFileSync(publicKeyPath, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644, flag: "wx" });
  return { privateKeyPath, publicKeyPath, keyId: auditKeyId(publicKey) };
}
