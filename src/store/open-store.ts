import { openSqliteStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** The store used when neither an option nor CADRE_STORE names one. */
export const defaultStoreLocation = ".cadre/cadre.db";

/**
 * Opens a store from a location: `postgres://…` / `postgresql://…` for PostgreSQL, anything
 * else is a SQLite file path (or `:memory:`). Creates and migrates it when needed.
 */
export async function openStore(location: string = process.env.CADRE_STORE ?? defaultStoreLocation): Promise<Store> {
  // The PostgreSQL driver loads only when a PostgreSQL store is opened.
  if (/^postgres(ql)?:\/\//.test(location)) return (await import("./postgres.ts")).openPostgresStore(location);
  return openSqliteStore(location);
}
