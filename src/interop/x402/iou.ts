import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/**
 * The `iou` x402 scheme: the payer signs, with its agent's Ed25519 payment key, a promise to
 * pay `amount` micro-units to `payTo` for one request, and the payee settles it as a ledger
 * entry. No chain: the network is a Cadre ledger, the asset micro-units of its currency.
 */
export const iouScheme = "iou";
export const cadreLedgerNetwork = "cadre:ledger" as const;
export const microUnitsAsset = "micro-usd";

/** What an IOU promises, all of it signed. */
export interface IouTerms {
  /** The agent that pays (its name in its own store; the payee knows it by the key it trusts for it). */
  payer: string;
  payTo: string;
  /** Micro-units, as a decimal string (x402 amounts are strings). */
  amount: string;
  asset: string;
  network: string;
  /** The URL paid for. */
  resource: string;
  /** The sha256 of the request paid for, as the payee stated it in its requirements. */
  request: string;
  /** Derived from the paying effect's idempotency key: a retried call presents the same nonce, and the payee settles a nonce once. */
  nonce: string;
  /** Epoch milliseconds after which the payee refuses it. */
  validBefore: number;
}

/** An IOU as it travels in the x402 payment payload. */
export interface Iou extends IouTerms {
  /** Base64 Ed25519 signature over `iouMessage(terms)`. */
  signature: string;
}

const termFields = ["payer", "payTo", "amount", "asset", "network", "resource", "request", "nonce", "validBefore"] as const;

/** The bytes signed: the terms in a fixed order, under a domain tag so the signature means nothing elsewhere. */
export function iouMessage(terms: IouTerms): Buffer {
  return Buffer.from(`cadre-x402-iou-v1\n${JSON.stringify(termFields.map((field) => terms[field]))}`, "utf8");
}

export function signIou(terms: IouTerms, privateKey: KeyObject): Iou {
  return { ...pickTerms(terms), signature: sign(null, iouMessage(terms), privateKey).toString("base64") };
}

/** Whether the signature is the holder of `publicKey`'s over exactly these terms. */
export function iouSignatureValid(iou: Iou, publicKey: KeyObject): boolean {
  try {
    return verify(null, iouMessage(iou), publicKey, Buffer.from(iou.signature, "base64"));
  } catch {
    return false;
  }
}

/** The IOU in a payment payload, or undefined when it is not one (missing or mistyped fields). */
export function readIou(payload: Record<string, unknown>): Iou | undefined {
  for (const field of termFields) {
    if (field === "validBefore" ? typeof payload[field] !== "number" : typeof payload[field] !== "string") return undefined;
  }
  if (typeof payload.signature !== "string") return undefined;
  return { ...pickTerms(payload as unknown as IouTerms), signature: payload.signature };
}

function pickTerms(terms: IouTerms): IouTerms {
  return Object.fromEntries(termFields.map((field) => [field, terms[field]])) as unknown as IouTerms;
}

/** The nonce of one paying call: the same agent, idempotency key and URL always give the same nonce. */
export function iouNonce(agent: string, idempotencyKey: string, resource: string): string {
  return createHash("sha256").update(`cadre-x402-nonce\n${agent}\n${idempotencyKey}\n${resource}`).digest("hex");
}

/**
 * The sha256 (hex) of a request: what the payee binds its requirements, and so the payment, to.
 * A JSON-RPC body (one call or a batch) is digested without its calls' `id`s: the id is the
 * client's numbering of its requests (the A2A SDK counts them per transport), not what is asked,
 * so a retried call that is numbered anew still matches the payment made for it.
 */
export function requestDigest(method: string, url: string, body: string): string {
  return createHash("sha256").update(`${method.toUpperCase()} ${url}\n${withoutJsonRpcIds(body)}`).digest("hex");
}

/** The body with each JSON-RPC call's `id` removed (the rest as the client wrote it, in its order); any other body as it is. */
function withoutJsonRpcIds(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const isCall = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value) && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
  const strip = ({ id: _id, ...rest }: Record<string, unknown>) => rest;
  if (isCall(parsed)) return JSON.stringify(strip(parsed));
  if (Array.isArray(parsed) && parsed.length > 0 && parsed.every(isCall)) return JSON.stringify(parsed.map(strip));
  return body;
}

/** Key encodings as stored and printed: base64 DER (SPKI for public keys, PKCS#8 for private ones). */
export const publicKeyFrom = (text: string): KeyObject => createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
export const privateKeyFrom = (text: string): KeyObject => createPrivateKey({ key: Buffer.from(text, "base64"), format: "der", type: "pkcs8" });
