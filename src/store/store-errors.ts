import { CadreError, type CadreErrorOptions } from "../errors.ts";

/** The file exists but is not a SQLite database, or the database is damaged. */
export class StoreCorruptError extends CadreError {
  constructor(details: { location: string; reason: string }, options?: CadreErrorOptions) {
    const { location, reason } = details;
    super("STORE_CORRUPT", `The store at ${location} cannot be read: ${reason}. Nothing was changed. Restore it from a backup, or point --store / CADRE_STORE at another file.`, {
      // Not a failure of Cadre's: the file given is unreadable, and a different --store is the fix.
      fault: "configuration",
      ...options,
      details: { location, reason },
    });
  }
}

/** The database holds tables but none of them is Cadre's: we refuse to write into it. */
export class StoreNotCadreError extends CadreError {
  constructor(details: { location: string; tables: string[] }, options?: CadreErrorOptions) {
    const { location, tables } = details;
    super(
      "STORE_NOT_CADRE",
      `The database at ${location} is not a Cadre store (it has tables ${tables.slice(0, 5).join(", ")}${tables.length > 5 ? ", ..." : ""} but no cadre_meta). Nothing was changed. Use a new file or an empty database/schema.`,
      { ...options, details: { location, tables } },
    );
  }
}

/** The store was written by a newer Cadre: opening it with this version could damage it. */
export class StoreTooNewError extends CadreError {
  constructor(details: { location: string; found: number; supported: number }, options?: CadreErrorOptions) {
    const { location, found, supported } = details;
    super(
      "STORE_TOO_NEW",
      `The store at ${location} has schema version ${found}, but this Cadre supports up to ${supported}. Nothing was changed. Upgrade Cadre to open it.`,
      { ...options, details: { location, found, supported } },
    );
  }
}

/** A command that only reads was pointed at a store that does not exist: it creates none. */
export class StoreNotFoundError extends CadreError {
  constructor(details: { location: string; reason?: string }, options?: CadreErrorOptions) {
    const { location, reason = "nothing is there" } = details;
    super(
      "STORE_NOT_FOUND",
      `No store at ${location} (${reason}). Nothing was created. Create one by running a workflow, or check --store / CADRE_STORE.`,
      { ...options, details: { location, reason } },
    );
  }
}

/** The store location cannot work as given (a directory, a malformed URL, an unknown database, a bad schema name...). */
export class StoreConfigError extends CadreError {
  constructor(details: { location: string; reason: string; fix: string }, options?: CadreErrorOptions) {
    const { location, reason, fix } = details;
    super("STORE_CONFIG", `The store ${location} cannot be used: ${reason}. Nothing was changed. ${fix}`, { ...options, details: { location, reason, fix } });
  }
}

/** The store (or its directory, or its file system) cannot be written: the data in it is intact. */
export class StoreReadOnlyError extends CadreError {
  constructor(details: { location: string; reason: string }, options?: CadreErrorOptions) {
    const { location, reason } = details;
    super(
      "STORE_READ_ONLY",
      `The store at ${location} cannot be written: ${reason}. Nothing was changed and the store is intact. Make it writable (file and directory permissions, the file's immutable attribute, a read-only mount, database privileges), or use a command that only reads (runs, show, audit verify, spend, agents, grants, budget).`,
      { ...options, details: { location, reason } },
    );
  }
}

/** The disk (or database) holding the store has no room left: the data in it is intact. */
export class StoreFullError extends CadreError {
  constructor(details: { location: string; reason: string }, options?: CadreErrorOptions) {
    const { location, reason } = details;
    super(
      "STORE_FULL",
      `The store at ${location} cannot grow: ${reason}. Nothing was changed and the store is intact. Free some space on its disk, then try again.`,
      { retryable: true, ...options, details: { location, reason } },
    );
  }
}

/** The database server does not answer: nothing could be read or changed. */
export class StoreUnavailableError extends CadreError {
  constructor(details: { location: string; reason: string }, options?: CadreErrorOptions) {
    const { location, reason } = details;
    super(
      "STORE_UNAVAILABLE",
      `Cannot reach the store at ${location}: ${reason}. Nothing was changed. Check that the server is running and reachable from here, or point --store / CADRE_STORE at another store.`,
      { retryable: true, ...options, details: { location, reason } },
    );
  }
}
