import type { EventBus, RuntimeEvent } from "../engine/events.ts";

/**
 * The events of one run, recorded from the moment it is dispatched (so an iterator opened
 * after `start` returned still sees `run-start`) until its handle's result settles. Each
 * `iterate()` replays what was recorded, then follows live; it ends when the run ends or
 * parks. Kept only as long as the handle is.
 */
export class RunEventStream {
  readonly #history: RuntimeEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  #ended = false;

  constructor(events: EventBus, runId: string) {
    this.#unsubscribe = events.onAny((event) => {
      if (event.runId !== runId) return;
      this.#history.push(event);
      this.#notify();
    });
  }

  /** No more events: iterators finish once they have yielded what was recorded. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#unsubscribe();
    this.#notify();
  }

  async *iterate(): AsyncGenerator<RuntimeEvent, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.#history.length) yield this.#history[next++]!;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
