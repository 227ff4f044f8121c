import { InputValidationError } from "../errors.ts";
import type { RunPosition } from "../engine/run-records.ts";

/**
 * Cursors are opaque to callers: the position of the last run of a page (creation time and
 * id, the listing's order) in base64url, so a page is stable while new runs are created.
 */
export function encodeRunCursor(position: RunPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

export function decodeRunCursor(cursor: string): RunPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "number" && Number.isFinite(createdAt) && typeof id === "string") return { createdAt, id };
  } catch {
    // Not JSON: refused below like any other malformed cursor.
  }
  throw new InputValidationError({ message: `The cursor "${cursor}" is not one this API returned; pass the nextCursor of the previous page.`, cursor });
}
