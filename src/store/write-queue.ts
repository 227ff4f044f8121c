import type { Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Work = (tx: Transaction<Database>) => Promise<void>;
interface Pending {
  work: Work;
  order: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit. Writes queued in the same turn of the event loop commit together in one
 * transaction, in the order they were queued. A commit is the dominant cost of a journaled
 * step (the SQLite floor alone is ~55 µs), so a fan-out of 1000 pays for a few commits
 * instead of 2000, and a sequential chain folds "step n ended" into "step n+1 started".
 *
 * If a batch fails, its writes are retried one transaction each, so only the write that
 * failed (a refused budget reservation, say) is rejected. Work may therefore run more than
 * once: it must only touch the database through `tx`, never state outside it.
 *
 * Fairness: each write carries an `order` (a run's launch number; lower goes first) and a
 * batch takes the writes of at most `maxOrdersPerBatch` orders. Without it 200 runs started
 * together advance one step per commit in lockstep and all finish at the very end; with it
 * the older runs finish first and an unrelated burst of runs delays a run only so much.
 * Writes of one order keep the order they were queued in.
 */
export class WriteQueue {
  readonly #transaction: (work: Work) => Promise<void>;
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #scheduled = false;
  readonly #maxOrdersPerBatch: number;

  constructor(transaction: (work: Work) => Promise<void>, options: { maxOrdersPerBatch?: number } = {}) {
    this.#transaction = transaction;
    this.#maxOrdersPerBatch = options.maxOrdersPerBatch ?? 32;
  }

  /** Queues `work`; writes with no `order` (not a run's) go before every run's. */
  write(work: Work, order = Number.NEGATIVE_INFINITY): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ work, order, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything queued so far has been committed (or rejected). */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing || this.#scheduled) {
      await (this.#flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = null;
        if (this.#pending.length > 0) this.#schedule();
      });
    });
  }

  /** The writes of the first `maxOrdersPerBatch` orders, in order; the rest wait for the next batch. */
  #takeBatch(): Pending[] {
    // Array sort is stable: writes of one order stay in the order they were queued.
    const pending = this.#pending.sort((left, right) => left.order - right.order);
    let orders = 0;
    let end = 0;
    for (; end < pending.length; end += 1) {
      if (end === 0 || pending[end]!.order !== pending[end - 1]!.order) orders += 1;
      if (orders > this.#maxOrdersPerBatch) break;
    }
    this.#pending = pending.slice(end);
    return pending.slice(0, end);
  }

  async #flush(): Promise<void> {
    const batch = this.#takeBatch();
    try {
      await this.#transaction(async (tx) => {
        for (const pending of batch) await pending.work(tx);
      });
      for (const pending of batch) pending.resolve();
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const pending of batch) {
        try {
          await this.#transaction(pending.work);
          pending.resolve();
        } catch (single) {
          pending.reject(single);
        }
      }
    }
  }
}
