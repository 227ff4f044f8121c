import type { Kysely, Transaction } from "kysely";
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

function transactionWithHooks<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    const hooks: Array<() => Promise<void>> = [];
    commitHooks.set(tx, hooks);
    const result = await work(tx);
    // Hooks may register more hooks; run until none are left.
    while (hooks.length > 0) await hooks.shift()!();
    return result;
  });
}

export function createStore(dialect: StoreDialect, location: string, db: Kysely<Database>): Store {
  let closed = false;
  const queue = new WriteQueue((work) => transactionWithHooks(db, work));
  return {
    dialect,
    location,
    db,
    transaction: (work) => transactionWithHooks(db, work),
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
