import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import type pg from "pg";
import { preparedStatementName } from "./compiled-query.ts";

/**
 * Kysely's PostgreSQL dialect with a driver that pipelines. The pool's clients run in pg's
 * pipeline mode: a statement is written to the socket at once, without waiting for the
 * answer to the one before, so statements whose answers nobody waits for (see `send` in
 * store.ts) share the round trip of the next one that is awaited. Over loopback a round trip
 * costs more than most of the statements of a governed call take to run.
 *
 * In a transaction BEGIN goes out with the first statement, and COMMIT with the last ones: a
 * statement that failed unanswered aborts the transaction, and its error (not PostgreSQL's
 * "current transaction is aborted" for the statements behind it) is what the transaction
 * throws. Hot-path statements (compiled once, see compiled-query.ts) run as named prepared
 * statements, parsed and planned once per connection.
 */
export class PipelinedPostgresDialect implements Dialect {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  createDriver(): Driver {
    return new PipelinedPostgresDriver(this.#pool);
  }

  createQueryCompiler(): PostgresQueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): PostgresAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<unknown>): PostgresIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PipelinedPostgresDriver implements Driver {
  #pool: pg.Pool | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const pool = this.#pool;
    if (!pool) throw new Error("The PostgreSQL store was closed.");
    return new PipelinedConnection(await pool.connect());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let text = "begin";
    if (settings.isolationLevel || settings.accessMode) {
      text = `start transaction${settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : ""}${settings.accessMode ? ` ${settings.accessMode}` : ""}`;
    }
    (connection as PipelinedConnection).begin(text);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PipelinedConnection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PipelinedConnection).release();
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }
}

class PipelinedConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  /** The first statement of the current transaction that failed: every statement behind it failed because of it. */
  #failure: unknown;
  /** The last statement sent, whose answer comes after every earlier one's. */
  #last: Promise<unknown> = Promise.resolve();
  #inTransaction = false;
  #broken = false;
  #corked = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const name = preparedStatementName(query.sql);
    const values = query.parameters as unknown[];
    this.#cork();
    const sent = this.#client.query<R & pg.QueryResultRow>(name === undefined ? { text: query.sql, values } : { name, text: query.sql, values });
    const inTransaction = this.#inTransaction;
    this.#last = sent.catch((error: unknown) => {
      if (inTransaction) this.#failure ??= error;
    });
    return sent.then(
      (result) => toQueryResult<R>(result),
      (error: unknown) => {
        // Answers come in the order the statements were sent, so an earlier failure is known by now.
        throw (inTransaction ? this.#failure : undefined) ?? error;
      },
    );
  }

  /**
   * Holds the socket's writes until the current burst of statements has been issued (the
   * microtasks of this turn): statements sent without waiting leave in one write, not one
   * system call each, which was a quarter of a worker's CPU.
   */
  #cork(): void {
    if (this.#corked) return;
    const stream = (this.#client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
    if (!stream?.cork || !stream.uncork) return;
    this.#corked = true;
    stream.cork();
    process.nextTick(() => {
      this.#corked = false;
      stream.uncork!();
    });
  }

  // eslint-disable-next-line require-yield -- the interface requires the method; nothing on the hot path streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("Streaming queries are not supported on a pipelined PostgreSQL connection.");
  }

  /** Sends BEGIN without waiting: the transaction's first statement goes out right behind it. */
  begin(text: string): void {
    this.#failure = undefined;
    this.#inTransaction = true;
    void this.executeQuery(CompiledQuery.raw(text)).catch(() => {});
  }

  /** Sends COMMIT behind the statements still unanswered; throws the first of them that failed (PostgreSQL then rolled back). */
  async commit(): Promise<void> {
    try {
      this.#cork();
      const committed = await this.#client.query("commit");
      if (this.#failure !== undefined) throw this.#failure;
      // A COMMIT of an aborted transaction answers ROLLBACK.
      if (committed.command === "ROLLBACK") throw new AbortedTransactionError();
    } finally {
      this.#inTransaction = false;
    }
  }

  async rollback(): Promise<void> {
    try {
      await this.#last;
      await this.#client.query("rollback");
    } catch (error) {
      this.#broken = true;
      throw error;
    } finally {
      this.#failure = undefined;
      this.#inTransaction = false;
    }
  }

  release(): void {
    this.#failure = undefined;
    this.#inTransaction = false;
    this.#client.release(this.#broken);
  }
}

function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const counted = result.command === "INSERT" || result.command === "UPDATE" || result.command === "DELETE" || result.command === "MERGE";
  return { rows: (result.rows ?? []) as R[], ...(counted ? { numAffectedRows: BigInt(result.rowCount ?? 0) } : {}) };
}
