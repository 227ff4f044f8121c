import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { migrateStore, requireCurrentSchema, requireStore } from "./migrate.ts";
import { CachingSqliteDialect } from "./sqlite-driver.ts";
import { diagnoseSqliteFailure } from "./sqlite-failures.ts";
import { loadVectorExtension } from "./sqlite-vectors.ts";
import type { Database } from "./schema.ts";
import { createStore, type Store } from "./store.ts";
import { StoreConfigError, StoreCorruptError, StoreNotFoundError } from "./store-errors.ts";

const sqliteHeader = "SQLite format 3\u0000";

export interface SqliteOpenOptions {
  /** Open an existing store without writing anything (no migration, no journal-mode change); refuse a missing one. */
  readOnly?: boolean;
  /** Refuse a missing store instead of creating it. */
  mustExist?: boolean;
}

/** Opens (creating if needed) a SQLite store file in WAL mode and migrates it; or, `readOnly`, opens an existing one as it is. */
export async function openSqliteStore(path: string, options: SqliteOpenOptions = {}): Promise<Store> {
  const memory = path === ":memory:";
  const location = memory ? path : resolve(path);
  if (!memory) checkFile(location, options);
  if (options.readOnly) return openReadOnly(location);
  if (!memory) createDirectory(location);

  const connection = connect(location, () => new BetterSqlite3(location));
  // Processes sharing a file queue for the write lock (the migration's BEGIN IMMEDIATE, the
  // switch to WAL, every write); on a busy machine a turn can take seconds. Set first, so the
  // opening steps wait their turn too.
  connection.pragma("busy_timeout = 30000");
  const db = new Kysely<Database>({ dialect: new CachingSqliteDialect(connection, location) });
  try {
    if (options.mustExist) await requireStore(db, "sqlite", location);
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
          if (connection.inTransaction) await sql`rollback`.execute(single);
          throw error;
        }
      });
    });
    await switchToWal(connection);
    connection.pragma("synchronous = NORMAL");
    connection.pragma("wal_autocheckpoint = 10000");
    // The WAL file is truncated back to this after a checkpoint instead of keeping its largest size.
    connection.pragma("journal_size_limit = 67108864");
    connection.pragma("cache_size = -32000");
  } catch (error) {
    await db.destroy();
    throw diagnoseSqliteFailure(location, error) ?? error;
  }
  return createStore("sqlite", location, db);
}

/**
 * The switch to WAL needs the file to itself. SQLite answers SQLITE_BUSY at once, without its
 * busy handler, when waiting could deadlock (this connection reads the file while another
 * process holds the write lock, e.g. to migrate it), so processes opening a fresh file together
 * take turns here: retried until the busy timeout has passed.
 */
async function switchToWal(connection: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    try {
      connection.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function openReadOnly(location: string): Promise<Store> {
  const connection = connect(location, () => new BetterSqlite3(location, { readonly: true, fileMustExist: true }), inMemoryCopy);
  const db = new Kysely<Database>({ dialect: new CachingSqliteDialect(connection, location) });
  try {
    await requireCurrentSchema(db, "sqlite", location);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createStore("sqlite", location, db);
}

/**
 * A WAL-mode file cannot be opened, even read-only, where SQLite cannot create its -shm file
 * (a read-only directory or mount, a full disk). When no -wal file holds recent commits, the
 * file alone is the whole store: read it into memory, marked as a rollback-journal database there.
 */
function inMemoryCopy(location: string, error: unknown): BetterSqlite3.Database | undefined {
  const code = diagnoseSqliteFailure(location, error)?.code;
  if (code !== "STORE_READ_ONLY" && code !== "STORE_FULL") return undefined;
  if (existsSync(`${location}-wal`) && statSync(`${location}-wal`).size > 0) return undefined;
  const bytes = readFileSync(location);
  bytes[18] = 1;
  bytes[19] = 1;
  return new BetterSqlite3(bytes, { readonly: true });
}

/**
 * Opens the connection and makes SQLite parse the file, so a damaged or unreadable store fails
 * here, before anything changes; `fallback` may offer another connection for the failure.
 */
function connect(
  location: string,
  open: () => BetterSqlite3.Database,
  fallback: (location: string, error: unknown) => BetterSqlite3.Database | undefined = () => undefined,
): BetterSqlite3.Database {
  let connection: BetterSqlite3.Database | undefined;
  try {
    connection = open();
    connection.prepare("select count(*) from sqlite_master").get();
    loadVectorExtension(connection);
    return connection;
  } catch (error) {
    connection?.close();
    const other = fallback(location, error);
    if (other) {
      loadVectorExtension(other);
      return other;
    }
    throw diagnoseSqliteFailure(location, error) ?? error;
  }
}

function createDirectory(location: string): void {
  try {
    mkdirSync(dirname(location), { recursive: true });
  } catch (error) {
    throw diagnoseSqliteFailure(location, error) ?? error;
  }
}

/** Refuses, before SQLite touches anything, a path that is a directory, a file that is not a database, or (read-only) no file at all. */
function checkFile(location: string, options: SqliteOpenOptions): void {
  const mustExist = options.readOnly || options.mustExist;
  if (!existsSync(location)) {
    if (mustExist) throw new StoreNotFoundError({ location, reason: "no such file" });
    return;
  }
  const stats = statSync(location);
  if (stats.isDirectory()) throw new StoreConfigError({ location, reason: "it is a directory", fix: `Name a file in it, like --store ${join(location, "cadre.db")}.` });
  if (stats.size === 0) {
    if (mustExist) throw new StoreNotFoundError({ location, reason: "the file is empty" });
    return;
  }
  const buffer = Buffer.alloc(16);
  const descriptor = openSync(location, "r");
  try {
    readSync(descriptor, buffer, 0, 16, 0);
  } finally {
    closeSync(descriptor);
  }
  if (stats.size < 100 || buffer.toString("latin1") !== sqliteHeader) {
    throw new StoreCorruptError({ location, reason: "the file is not a SQLite database (bad header)" });
  }
}
