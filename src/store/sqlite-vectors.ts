import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

const require = createRequire(import.meta.url);

/**
 * Loads the sqlite-vec extension (its prebuilt library, shipped as an npm package) into a
 * connection, so vector distances (`vec_distance_cosine`) are available to SQL. Returns why
 * it could not be loaded (a platform without a prebuilt library), or undefined when loaded:
 * the store still opens, and vector search says why it is unavailable.
 */
export function loadVectorExtension(connection: BetterSqlite3.Database): string | undefined {
  try {
    const sqliteVec = require("sqlite-vec") as { load(database: BetterSqlite3.Database): void };
    sqliteVec.load(connection);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
