import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

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
  close(): Promise<void>;
}

export function createStore(dialect: StoreDialect, location: string, db: Kysely<Database>): Store {
  let closed = false;
  return {
    dialect,
    location,
    db,
    transaction: (work) => db.transaction().execute(work),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
