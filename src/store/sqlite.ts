import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { migrateStore } from "./migrate.ts";
import { CachingSqliteDialect } from "./sqlite-driver.ts";
import type { Database } from "./schema.ts";
import { createStore, type Store } from "./store.ts";
import { StoreCorruptError } from "./store-errors.ts";

const sqliteHeader = "SQLite format 3\u0000";

/** Opens (creating if needed) a SQLite store file in WAL mode and migrates it. */
export async function openSqliteStore(path: string): Promise<Store> {
  const memory = path === ":memory:";
  const location = memory ? path : resolve(path);
  if (!memory) checkHeader(location);
  if (!memory) mkdirSync(dirname(location), { recursive: true });

  let connection: BetterSqlite3.Database;
  try {
    connection = new BetterSqlite3(location);
    // Reading the schema forces SQLite to parse the file before we change anything.
    connection.prepare("select count(*) from sqlite_master").get();
  } catch (error) {
    throw new StoreCorruptError(location, describeSqliteError(error), error);
  }
  const db = new Kysely<Database>({ dialect: new CachingSqliteDialect(connection) });
  try {
    await migrateStore(db, "sqlite", location, async (work) => {
      // BEGIN IMMEDIATE takes the write lock up front, so a second process waits instead of
      // migrating the same fresh file at the same time.
      return db.connection().execute(async (single) => {
        await sql`begin immediate`.execute(single);
        try {
          const result = await work(single);
          await sql`commit`.execute(single);
          return result;
        } catch (error) {
          await sql`rollback`.execute(single);
          throw error;
        }
      });
    });
    connection.pragma("journal_mode = WAL");
    connection.pragma("synchronous = NORMAL");
    connection.pragma("wal_autocheckpoint = 10000");
    connection.pragma("cache_size = -32000");
    connection.pragma("busy_timeout = 5000");
  } catch (error) {
    await db.destroy();
    if (isSqliteCorruption(error)) throw new StoreCorruptError(location, describeSqliteError(error), error);
    throw error;
  }
  return createStore("sqlite", location, db);
}

function checkHeader(location: string): void {
  if (!existsSync(location)) return;
  const size = statSync(location).size;
  if (size === 0) return;
  const buffer = Buffer.alloc(16);
  const descriptor = openSync(location, "r");
  try {
    readSync(descriptor, buffer, 0, 16, 0);
  } finally {
    closeSync(descriptor);
  }
  if (size < 100 || buffer.toString("latin1") !== sqliteHeader) {
    throw new StoreCorruptError(location, "the file is not a SQLite database (bad header)");
  }
}

function isSqliteCorruption(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? "";
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code.startsWith("SQLITE_IOERR");
}

function describeSqliteError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}
