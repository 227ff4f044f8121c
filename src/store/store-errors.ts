import { CadreError } from "../errors.ts";

/** The file exists but is not a SQLite database, or the database is damaged. */
export class StoreCorruptError extends CadreError {
  constructor(location: string, reason: string, cause?: unknown) {
    super(
      "STORE_CORRUPT",
      "configuration",
      `The store at ${location} cannot be read: ${reason}. Nothing was changed. Restore it from a backup, or point --store / CADRE_STORE at another file.`,
      { cause, details: { location, reason } },
    );
  }
}

/** The database holds tables but none of them is Cadre's: we refuse to write into it. */
export class StoreNotCadreError extends CadreError {
  constructor(location: string, tables: string[]) {
    super(
      "STORE_NOT_CADRE",
      "configuration",
      `The database at ${location} is not a Cadre store (it has tables ${tables.slice(0, 5).join(", ")}${tables.length > 5 ? ", ..." : ""} but no cadre_meta). Nothing was changed. Use a new file or an empty database/schema.`,
      { details: { location, tables } },
    );
  }
}

/** The store was written by a newer Cadre: opening it with this version could damage it. */
export class StoreTooNewError extends CadreError {
  constructor(location: string, found: number, supported: number) {
    super(
      "STORE_TOO_NEW",
      "configuration",
      `The store at ${location} has schema version ${found}, but this Cadre supports up to ${supported}. Nothing was changed. Upgrade Cadre to open it.`,
      { details: { location, found, supported } },
    );
  }
}
