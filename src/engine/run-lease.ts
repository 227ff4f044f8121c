import type { Transaction } from "kysely";
import { compiledQuery } from "../store/compiled-query.ts";
import type { Database } from "../store/schema.ts";
import { checkBeforeCommit, type Db, type Store } from "../store/store.ts";
import { RunLeaseLostError } from "./engine-errors.ts";

const readEpoch = compiledQuery((db, run: { runId: string }) => db.selectFrom("runs").select("lease_epoch").where("id", "=", run.runId));
// On PostgreSQL the shared row lock makes a take-over (an UPDATE of the row) wait until this
// transaction commits, so a write either commits before the take-over or sees the new epoch.
// SQLite needs no lock: every write transaction is BEGIN IMMEDIATE, one writer at a time.
const readEpochLocked = compiledQuery((db, run: { runId: string }) => db.selectFrom("runs").select("lease_epoch").where("id", "=", run.runId).forShare());
const renew = compiledQuery((db, lease: { runId: string; epoch: number; expiresAt: number }) =>
  db.updateTable("runs").set({ lease_expires_at: lease.expiresAt }).where("id", "=", lease.runId).where("lease_epoch", "=", lease.epoch),
);

/**
 * Ownership of one run by one process, fenced by an epoch that grows with every take-over.
 * Every write the run makes checks, inside its own transaction, that the epoch is still
 * current; the first write that finds another owner throws `RunLeaseLostError`, tells the
 * listeners (the executor aborts its in-flight effects) and every later write fails at once.
 */
export class RunLease {
  readonly runId: string;
  readonly epoch: number;
  readonly #store: Store;
  readonly #options: { leaseMs: number; now(): number; order: number };
  /** Transactions already checked: one check per transaction is enough, the lock (or BEGIN IMMEDIATE) lasts until commit. */
  readonly #checked = new WeakSet<object>();
  readonly #listeners = new Set<(error: RunLeaseLostError) => void>();
  #lost: RunLeaseLostError | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  /** `order`: the run's launch number in this process; its writes go before those of runs launched later. */
  constructor(store: Store, run: { runId: string; epoch: number }, options: { leaseMs: number; now(): number; order: number }) {
    this.#store = store;
    this.runId = run.runId;
    this.epoch = run.epoch;
    this.#options = options;
  }

  /** Set once another process has taken the run over. */
  get lost(): RunLeaseLostError | undefined {
    return this.#lost;
  }

  onLost(listener: (error: RunLeaseLostError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Throws unless this process still owns the run; call it first in every transaction that writes for the run. */
  async assertHeld(tx: Db): Promise<void> {
    if (this.#lost) throw this.#lost;
    if (this.#checked.has(tx)) return;
    const read = this.#store.dialect === "postgres" ? readEpochLocked : readEpoch;
    const [row] = (await read(tx, { runId: this.runId })).rows;
    const current = row === undefined ? undefined : Number(row.lease_epoch);
    if (current !== this.epoch) throw this.#markLost(current);
    this.#checked.add(tx);
  }

  /**
   * The same check for a group-committed write, without waiting for its answer: the read goes
   * out first (on PostgreSQL its share lock is taken before any of the write's statements run)
   * and its answer is checked before the transaction commits, which it fails if another
   * process owns the run.
   */
  #checkBeforeCommit(tx: Db): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#checked.has(tx)) return Promise.resolve();
    this.#checked.add(tx);
    const read = this.#store.dialect === "postgres" ? readEpochLocked : readEpoch;
    const checked = read(tx, { runId: this.runId }).then(({ rows: [row] }) => {
      const current = row === undefined ? undefined : Number(row.lease_epoch);
      if (current !== this.epoch) throw this.#markLost(current);
    });
    return checkBeforeCommit(tx, checked);
  }

  /** A fenced, group-committed write of this run. */
  write(work: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    return this.#store.write(async (tx) => {
      await this.#checkBeforeCommit(tx);
      await work(tx);
    }, this.#options.order);
  }

  /** A fenced transaction of its own (not group-committed): for run start and end. */
  transaction<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
    return this.#store.transaction(async (tx) => {
      await this.assertHeld(tx);
      return work(tx);
    });
  }

  /** Renews the lease every third of its length; a renewal that finds another owner marks the lease lost. */
  startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => void this.renew().catch(() => {}), Math.max(100, this.#options.leaseMs / 3));
    this.#heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Extends the lease if this process still owns the run; returns false (and marks it lost) if not. */
  async renew(): Promise<boolean> {
    if (this.#lost) return false;
    const result = await renew(this.#store.db, { runId: this.runId, epoch: this.epoch, expiresAt: this.#options.now() + this.#options.leaseMs });
    if (Number(result.numAffectedRows ?? 0) === 1) return true;
    const [row] = (await readEpoch(this.#store.db, { runId: this.runId })).rows;
    this.#markLost(row === undefined ? undefined : Number(row.lease_epoch));
    return false;
  }

  #markLost(currentEpoch: number | undefined): RunLeaseLostError {
    if (this.#lost) return this.#lost;
    this.#lost = new RunLeaseLostError({ runId: this.runId, epoch: this.epoch, currentEpoch: currentEpoch ?? null });
    this.stopHeartbeat();
    for (const listener of this.#listeners) listener(this.#lost);
    return this.#lost;
  }
}
