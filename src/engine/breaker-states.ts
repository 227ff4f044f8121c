import type { Db, Store } from "../store/store.ts";
import type { BreakerState } from "./agent-policies.ts";

/** A circuit breaker's state as the runtime that owns it last reported it. */
export interface BreakerStateRecord {
  /** The guard's name: `agent:<agent>` or `tool:<tool>`. */
  name: string;
  state: BreakerState;
  /** When the breaker last changed state (epoch ms). */
  changedAt: number;
  /** The runtime (`host:pid:id`) that reported it. */
  owner: string;
}

/**
 * The last reported state of every circuit breaker, by guard name, read from the store without
 * loading any user code (for `cadre agents` and dashboards). A breaker is written when it
 * changes state, so an open breaker reads `open` until a call after its half-open delay probes
 * it. Breakers live in each runtime's memory; worker processes (`runtime.serve`) also read
 * these records, so a breaker one of them opened fails fast in all of them until its probe delay.
 */
export async function readBreakerStates(store: { db: Db }): Promise<Map<string, BreakerStateRecord>> {
  const rows = await store.db.selectFrom("breakers").selectAll().orderBy("name").execute();
  return new Map(rows.map((row) => [row.name, { name: row.name, state: row.state as BreakerState, changedAt: Number(row.changed_at), owner: row.owner }]));
}

/** Records a breaker's new state; written behind, and never allowed to fail a call. */
export function reportBreakerState(store: Store, record: BreakerStateRecord): void {
  const row = { name: record.name, state: record.state, changed_at: record.changedAt, owner: record.owner };
  store
    .write((tx) => tx.insertInto("breakers").values(row).onConflict((conflict) => conflict.column("name").doUpdateSet(row)).execute().then(() => {}))
    .catch(() => {
      // The in-memory breaker is authoritative; its report is best effort.
    });
}
