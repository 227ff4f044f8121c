import type { DatabaseConnection, Kysely, Transaction } from "kysely";
import { runCompiledOnConnection } from "./compiled-query.ts";
import type { Database } from "./schema.ts";
import { WriteQueue } from "./write-queue.ts";

export type StoreDialect = "sqlite" | "postgres";

/** A database handle, either the running connection or the current transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Persistence behind one interface. Every query is written once with Kysely and runs on
 * both dialects; `transaction` is the unit of atomicity for journal + ledger + audit writes.
 */
export interface Store {
  readonly dialect: StoreDialect;
  /** Where the data lives, safe to print (passwords removed). */
  readonly location: string;
  readonly db: Kysely<Database>;
  transaction<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Queues `work` for the next group commit and resolves when it is durable. Prefer it over
   * `transaction` for writes on hot paths; `work` may be re-run (see WriteQueue). `order`
   * (a run's launch number) decides who goes first when many runs write at once.
   */
  write(work: (tx: Transaction<Database>) => Promise<void>, order?: number): Promise<void>;
  /** Waits until every queued write has been committed or rejected. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const commitHooks = new WeakMap<object, Array<() => Promise<void>>>();

/** Statements of a transaction sent without awaiting their answer, and conditions on such answers. */
interface Unanswered {
  writes: Array<Promise<unknown>>;
  checks: Array<Promise<unknown>>;
}
const unansweredByTransaction = new WeakMap<object, Unanswered>();
const ignore = () => {};

/**
 * Registers work to run at the end of `tx`, just before it commits, once per key: used to
 * write a whole transaction's audit records in one statement. Outside a transaction opened
 * by a Store it runs at once.
 */
export function beforeCommit(tx: Db, hook: () => Promise<void>): Promise<void> {
  const hooks = commitHooks.get(tx);
  if (!hooks) return hook();
  hooks.push(hook);
  return Promise.resolve();
}

/**
 * A write of `tx` whose answer the caller does not wait for (a compiled statement, already
 * sent). On PostgreSQL it travels with the next statement that is awaited instead of costing
 * a round trip of its own; its failure fails the transaction before it commits. Outside a
 * transaction opened by a Store it is awaited like any statement would be: pass its promise on.
 */
export function send(tx: Db, write: Promise<unknown>): Promise<void> {
  const unanswered = unansweredByTransaction.get(tx);
  if (!unanswered) return write.then(ignore);
  write.catch(ignore);
  unanswered.writes.push(write);
  return Promise.resolve();
}

/**
 * A condition on the answer of a statement sent without waiting (a conditional update that
 * must have matched a row): checked before the transaction commits, which it fails by throwing.
 * Checks are awaited in the order they were registered, and a failed check is the error the
 * transaction throws even when a later statement failed because of it.
 */
export function checkBeforeCommit(tx: Db, check: Promise<unknown>): Promise<void> {
  const unanswered = unansweredByTransaction.get(tx);
  if (!unanswered) return check.then(ignore);
  check.catch(ignore);
  unanswered.checks.push(check);
  return Promise.resolve();
}

/** The first failed check of `tx`, if any. */
function failedCheck(unanswered: Unanswered): Promise<unknown> {
  return firstFailure(unanswered.checks);
}

/** The error of the first of `promises` (in order) that failed, if any. */
async function firstFailure(promises: Array<Promise<unknown>>): Promise<unknown> {
  for (const promise of promises) {
    try {
      await promise;
    } catch (error) {
      return error;
    }
  }
  return undefined;
}

async function transactionWithHooks<T>(db: Kysely<Database>, dialect: StoreDialect, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const unanswered: Unanswered = { writes: [], checks: [] };
  try {
    return await db.transaction().execute(async (tx) => {
      const hooks: Array<() => Promise<void>> = [];
      commitHooks.set(tx, hooks);
      unansweredByTransaction.set(tx, unanswered);
      if (dialect === "postgres") runCompiledOnConnection(tx, await tx.getExecutor().provideConnection(async (connection: DatabaseConnection) => connection));
      const result = await work(tx);
      // Hooks may register more hooks; run until none are left.
      while (hooks.length > 0) await hooks.shift()!();
      const failed = await failedCheck(unanswered);
      if (failed !== undefined) throw failed;
      // On PostgreSQL the driver sends COMMIT right behind the unanswered writes and throws the first that failed.
      if (dialect !== "postgres") for (const write of unanswered.writes) await write;
      return result;
    });
  } catch (error) {
    // A statement that failed because an earlier check's condition did not hold reports that
    // condition; one that failed unanswered (COMMIT then fails with it) reports what the write's
    // sender made of the failure (a budget refusal).
    throw (await failedCheck(unanswered)) ?? (await firstFailure(unanswered.writes)) ?? error;
  }
}

export function createStore(dialect: StoreDialect, location: string, db: Kysely<Database>): Store {
  let closed = false;
  const queue = new WriteQueue((work) => transactionWithHooks(db, dialect, work));
  return {
    dialect,
    location,
    db,
    transaction: (work) => transactionWithHooks(db, dialect, work),
    write: (work, order) => queue.write(work, order),
    flush: () => queue.drain(),
    async close() {
      if (closed) return;
      closed = true;
      await queue.drain();
      await db.destroy();
    },
  };
}
