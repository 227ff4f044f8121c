import { sql } from "kysely";
import type { Db, StoreDialect } from "./store.ts";

/**
 * Makes one kind of write (named by `section`) exclusive across every process using this
 * store, until `tx` ends: work that reads "is it there yet?" and then inserts (the inventory,
 * a workflow's first allocation) is otherwise done twice when several runtimes open at once.
 * PostgreSQL: a transaction-scoped advisory lock keyed by the schema and the section, so
 * stores in other schemas never wait; under READ COMMITTED every statement after it sees what
 * the previous holder committed. SQLite: nothing to do, write transactions begin IMMEDIATE.
 */
export async function lockSection(tx: Db, dialect: StoreDialect, section: string): Promise<void> {
  if (dialect === "postgres") await sql`select pg_advisory_xact_lock(hashtext(current_schema()), hashtext(${section}))`.execute(tx);
}
