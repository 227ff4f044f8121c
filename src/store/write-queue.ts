import type { Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Work = (tx: Transaction<Database>) => Promise<void>;
interface Pending {
  work: Work;
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
 */
export class WriteQueue {
  readonly #transaction: (work: Work) => Promise<void>;
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #scheduled = false;

  constructor(transaction: (work: Work) => Promise<void>) {
    this.#transaction = transaction;
  }

  write(work: Work): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ work, resolve, reject });
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

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
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
