import { createHash } from "node:crypto";
import { CadreError, type CadreErrorOptions } from "../errors.ts";
import { compiledQuery } from "./compiled-query.ts";
import type { Db } from "./store.ts";

/**
 * Large JSON values (a run's input, a step's input or output) are stored once, by content,
 * in `payloads`; the column holds a reference. A 10 MB input passed to three agents is one
 * 10 MB row, not four. Small values stay inline: the hot path never pays for a hash.
 */
export const inlinePayloadLimit = 64 * 1024;

/** Default for `maxPayloadBytes`: the largest JSON value a run may journal. */
export const defaultMaxPayloadBytes = 8 * 1024 * 1024;

// Not valid JSON, so no value's own encoding can be mistaken for a reference.
const referencePrefix = "@payload:";

/** A value too large to journal: the run or step fails (or never starts) and nothing is written. */
export class PayloadTooLargeError extends CadreError {
  constructor(details: { what: string; bytes: number; limitBytes: number; runId?: string; stepKey?: string }, options?: CadreErrorOptions) {
    super(
      "PAYLOAD_TOO_LARGE",
      `${details.what} is ${formatBytes(details.bytes)} of JSON, over the ${formatBytes(details.limitBytes)} a run may journal. Keep large data outside the run (a file, a bucket, a table) and pass its location, or raise \`maxPayloadBytes\` in the runtime options.`,
      { ...options, details },
    );
  }
}

/** A journaled value points at a payload row that is gone: the store lost data. */
export class PayloadMissingError extends CadreError {
  constructor(details: { hash: string }, options?: CadreErrorOptions) {
    super("STORE_CORRUPT", `The store references payload ${details.hash.slice(0, 16)}… but it is missing. Restore the store from a backup.`, { ...options, details });
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** JSON text for a column (`undefined` as NULL), refused with PayloadTooLargeError over `limitBytes`. */
export function encodePayload(value: unknown, limitBytes: number, describe: () => Omit<ConstructorParameters<typeof PayloadTooLargeError>[0], "bytes" | "limitBytes">): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  // Three bytes per UTF-16 unit at most: only a text near the limit needs its exact size.
  if (text.length * 3 > limitBytes) {
    const bytes = Buffer.byteLength(text);
    if (bytes > limitBytes) throw new PayloadTooLargeError({ ...describe(), bytes, limitBytes });
  }
  return text;
}

const insertPayload = compiledQuery((db, payload: { hash: string; data: string; size: number }) =>
  db.insertInto("payloads").values({ hash: payload.hash, data: payload.data, size: payload.size }).onConflict((conflict) => conflict.column("hash").doNothing()),
);

/** What to put in the column: the text itself, or a reference to it stored once in `payloads`. */
export async function storePayload(tx: Db, text: string | null): Promise<string | null> {
  if (text === null || text.length < inlinePayloadLimit) return text;
  const hash = createHash("sha256").update(text).digest("hex");
  await insertPayload(tx, { hash, data: text, size: text.length });
  return `${referencePrefix}${hash}`;
}

/** Decodes column texts, loading the referenced payloads in one query. */
export async function decodePayloads(db: Db, texts: ReadonlyArray<string | null>): Promise<unknown[]> {
  const hashes = [...new Set(texts.flatMap((text) => (text?.startsWith(referencePrefix) ? [text.slice(referencePrefix.length)] : [])))];
  const loaded = new Map<string, string>();
  if (hashes.length > 0) {
    for (const row of await db.selectFrom("payloads").select(["hash", "data"]).where("hash", "in", hashes).execute()) loaded.set(row.hash, row.data);
  }
  return texts.map((text) => {
    if (text === null) return undefined;
    if (!text.startsWith(referencePrefix)) return JSON.parse(text);
    const data = loaded.get(text.slice(referencePrefix.length));
    if (data === undefined) throw new PayloadMissingError({ hash: text.slice(referencePrefix.length) });
    return JSON.parse(data);
  });
}
