import { PostgresAdapter, type CompiledQuery, type Compilable, type DatabaseConnection, type Kysely, type QueryResult } from "kysely";
import type { Database } from "./schema.ts";
import type { Db } from "./store.ts";

const placeholderPrefix = "\u0000cadre-parameter:";

type SynchronousRunner = (sql: string, parameters: readonly unknown[]) => QueryResult<unknown>;
const synchronousRunners = new WeakMap<object, SynchronousRunner>();

/**
 * Lets compiled queries on a dialect whose driver is synchronous (better-sqlite3) run
 * straight on its connection, without Kysely's executor: its connection provider, plugin
 * passes and awaits cost more than SQLite takes to run the statement. Safe because the store
 * has one connection and a transaction is just the statements run on it between BEGIN and COMMIT.
 */
export function runCompiledSynchronously(adapter: object, runner: SynchronousRunner): void {
  synchronousRunners.set(adapter, runner);
}

const directConnections = new WeakMap<object, DatabaseConnection>();

/**
 * Lets compiled queries of a transaction go straight to its connection, past Kysely's executor,
 * which runs one statement at a time: on a pipelining connection (postgres-driver.ts) a
 * statement sent without awaiting the one before then shares its round trip.
 */
export function runCompiledOnConnection(tx: object, connection: DatabaseConnection): void {
  directConnections.set(tx, connection);
}

/** Whether `db` is a PostgreSQL store's: for the few statements written once per dialect. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const statementNames = new Map<string, string>();

/** The prepared-statement name of a compiled hot-path statement (undefined for any other SQL): the driver parses and plans it once per connection. */
export function preparedStatementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/**
 * A hot-path query written once with Kysely, compiled once per dialect, then run with new
 * parameter values. Kysely builds and compiles a query on every call, which costs more than
 * SQLite takes to run a small statement; the ledger, grant and audit statements of every
 * governed call skip that work.
 *
 * `build` receives placeholders in place of `parameters` and must use them only as values:
 * never branch on them, spread them or pass them as lists (`in`), since the SQL it
 * produces is reused for every later call. `undefined` is sent as NULL.
 */
export function compiledQuery<P extends Record<string, unknown>, R>(build: (db: Kysely<Database>, parameters: P) => Compilable<R>): (db: Db, parameters: P) => Promise<QueryResult<R>> {
  const byAdapter = new WeakMap<object, { compiled: CompiledQuery<R>; slots: Array<{ name: string } | { value: unknown }> }>();
  const placeholders = new Proxy({} as P, { get: (_target, name) => `${placeholderPrefix}${String(name)}` });
  return (db, parameters) => {
    const adapter = db.getExecutor().adapter;
    let entry = byAdapter.get(adapter);
    if (!entry) {
      const compiled = build(db, placeholders).compile();
      const slots = compiled.parameters.map((value) => (typeof value === "string" && value.startsWith(placeholderPrefix) ? { name: value.slice(placeholderPrefix.length) } : { value }));
      entry = { compiled, slots };
      byAdapter.set(adapter, entry);
      if (!statementNames.has(compiled.sql)) statementNames.set(compiled.sql, `cadre_${statementNames.size + 1}`);
    }
    const values = entry.slots.map((slot) => ("name" in slot ? (parameters[slot.name] ?? null) : slot.value));
    const direct = directConnections.get(db);
    if (direct) return direct.executeQuery({ ...entry.compiled, parameters: values });
    const synchronous = synchronousRunners.get(adapter);
    if (!synchronous) return db.executeQuery({ ...entry.compiled, parameters: values });
    try {
      return Promise.resolve(synchronous(entry.compiled.sql, values) as QueryResult<R>);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
