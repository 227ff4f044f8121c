import type { CompiledQuery, Compilable, Kysely, QueryResult } from "kysely";
import type { Database } from "./schema.ts";
import type { Db } from "./store.ts";

const placeholderPrefix = "\u0000cadre-parameter:";

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
    }
    const values = entry.slots.map((slot) => ("name" in slot ? (parameters[slot.name] ?? null) : slot.value));
    return db.executeQuery({ ...entry.compiled, parameters: values });
  };
}
