import { openSqliteStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** The store used when neither an option nor CADRE_STORE names one. */
export const defaultStoreLocation = ".cadre/cadre.db";

export interface OpenStoreOptions {
  /**
   * Open an existing store without writing to it: nothing is created or migrated, so it works
   * on a read-only file, directory or mount, and a missing store is an error (STORE_NOT_FOUND).
   */
  readOnly?: boolean;
  /** Refuse (STORE_NOT_FOUND) instead of creating a store; an existing one is still migrated. For commands that need what a store already holds. */
  mustExist?: boolean;
}

/**
 * Opens a store from a location: `postgres://…` / `postgresql://…` for PostgreSQL, anything
 * else is a SQLite file path (or `:memory:`). Creates and migrates it when needed.
 */
export async function openStore(location: string = process.env.CADRE_STORE ?? defaultStoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  // The PostgreSQL driver loads only when a PostgreSQL store is opened.
  if (/^postgres(ql)?:\/\//.test(location)) return (await import("./postgres.ts")).openPostgresStore(location, options);
  return openSqliteStore(location, options);
}
