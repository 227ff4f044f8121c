import { accessSync, constants, existsSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import type { CadreError } from "../errors.ts";
import { StoreCorruptError, StoreFullError, StoreReadOnlyError, StoreUnavailableError } from "./store-errors.ts";

/** Below this much free space an I/O failure is taken for a full disk (SQLite's shared-memory file alone needs 32 KiB). */
const nearlyFullBytes = 1024 * 1024;

function errorCode(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? "";
}

function describeSqliteError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

/**
 * Says why SQLite could not open or write the store at `location`, as the typed error an
 * operator can act on: read-only (file, directory or mount), disk full, damaged, or unreadable
 * for another reason. Looks at the file system before blaming the file, so an intact store is
 * never called corrupt.
 * Returns undefined for failures that are none of these (busy, misuse...).
 */
export function diagnoseSqliteFailure(location: string, error: unknown): CadreError | undefined {
  const code = errorCode(error);
  if (code === "SQLITE_FULL" || code === "ENOSPC") return new StoreFullError({ location, reason: "the disk is full" }, { cause: error });
  const readOnly = code.startsWith("SQLITE_READONLY") || ["EROFS", "EACCES", "EPERM"].includes(code);
  const unclear = code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_IOERR");
  if (readOnly || unclear) {
    const notWritable = whyNotWritable(location);
    if (notWritable) return new StoreReadOnlyError({ location, reason: notWritable }, { cause: error });
    const free = freeBytes(location);
    if (free !== undefined && free < nearlyFullBytes) return new StoreFullError({ location, reason: `the disk is full (${free} bytes free)` }, { cause: error });
    if (readOnly) return new StoreReadOnlyError({ location, reason: describeSqliteError(error) }, { cause: error });
  }
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB") return new StoreCorruptError({ location, reason: describeSqliteError(error) }, { cause: error });
  // An I/O failure that is neither of the above says nothing about the file's contents.
  if (unclear) return new StoreUnavailableError({ location, reason: `SQLite cannot open or read it: ${describeSqliteError(error)}` }, { cause: error });
  return undefined;
}

/** Why the store file, or the directory it lives in (for its -wal and -shm files), cannot be written; undefined when both can. */
export function whyNotWritable(location: string): string | undefined {
  const directory = dirname(location);
  for (const [path, what] of [
    [location, "the file"],
    [directory, `its directory ${directory}`],
  ] as const) {
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = errorCode(error);
      if (code === "EROFS") return `${what} is on a read-only file system`;
      return `${what} is read-only (${code === "EPERM" ? "immutable attribute" : "permissions"})`;
    }
  }
  return undefined;
}

function freeBytes(location: string): number | undefined {
  try {
    const stats = statfsSync(existsSync(location) ? location : dirname(location));
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}
