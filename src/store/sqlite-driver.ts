import type BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type DialectAdapter, type Driver, type QueryResult } from "kysely";
import { runCompiledSynchronously } from "./compiled-query.ts";
import { diagnoseSqliteFailure } from "./sqlite-failures.ts";

/**
 * Kysely's SQLite dialect with a driver that keeps prepared statements. The stock driver
 * prepares every statement on every execution, which was a quarter of the cost of a
 * journaled step; journal, ledger and audit writes reuse a handful of statement shapes.
 * A statement that fails because the store cannot be written (read-only, disk full) throws
 * the typed store error, whichever command ran it.
 */
export class CachingSqliteDialect extends SqliteDialect {
  readonly #connection: CachingSqliteConnection;
  readonly #database: BetterSqlite3.Database;

  constructor(database: BetterSqlite3.Database, location: string) {
    super({ database });
    this.#database = database;
    this.#connection = new CachingSqliteConnection(database, location);
  }

  override createDriver(): Driver {
    return new CachingSqliteDriver(this.#database, this.#connection);
  }

  // The hot path's compiled statements skip Kysely's executor on this connection (see compiled-query.ts).
  override createAdapter(): DialectAdapter {
    const adapter = super.createAdapter();
    runCompiledSynchronously(adapter, (sql, parameters) => this.#connection.execute(sql, parameters));
    return adapter;
  }
}

const maxCachedStatements = 500;

class CachingSqliteDriver implements Driver {
  readonly #connection: CachingSqliteConnection;
  readonly #database: BetterSqlite3.Database;

  constructor(database: BetterSqlite3.Database, connection: CachingSqliteConnection) {
    this.#database = database;
    this.#connection = connection;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another process).
    // A deferred transaction that reads first fails with SQLITE_BUSY_SNAPSHOT, without
    // waiting, when another process commits between its first read and its first write.
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // SQLite rolls back by itself after some failures (a full disk); a second rollback would hide the first error.
    if (this.#database.inTransaction) await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.#database.close();
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  readonly #database: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #location: string;

  constructor(database: BetterSqlite3.Database, location: string) {
    this.#database = database;
    this.#location = location;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.execute(compiledQuery.sql, compiledQuery.parameters);
  }

  /** Runs one statement now, on the calling tick: better-sqlite3 is synchronous. */
  execute<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    try {
      const statement = this.#prepare(sql);
      if (statement.reader) return { rows: statement.all(parameters as unknown[]) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters as unknown[]);
      return { numAffectedRows: BigInt(changes), insertId: lastInsertRowid === undefined ? undefined : BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      throw diagnoseSqliteFailure(this.#location, error) ?? error;
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.#prepare(compiledQuery.sql);
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      // Schema changes invalidate nothing here: better-sqlite3 re-prepares internally.
      if (this.#statements.size >= maxCachedStatements) this.#statements.clear();
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
