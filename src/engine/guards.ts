import type { Store } from "../store/store.ts";
import { Guard, type BreakerState, type BulkheadOptions, type CircuitBreakerOptions } from "./agent-policies.ts";
import { readBreakerStates, reportBreakerState } from "./breaker-states.ts";

/**
 * One Guard per agent and per tool for the whole runtime, so a breaker opened by one run
 * protects every run, and a bulkhead counts calls across runs. Breaker changes are written
 * to the store for `cadre agents`.
 */
export class GuardRegistry {
  readonly #guards = new Map<string, Guard | null>();
  readonly #store: Store;
  readonly #owner: string;
  readonly #now: () => number;
  /** Breakers other processes opened, by guard name: when (from the store, refreshed while shared). */
  readonly #openedElsewhere = new Map<string, number>();
  #refresher: NodeJS.Timeout | undefined;

  constructor(options: { store: Store; owner: string; now: () => number }) {
    this.#store = options.store;
    this.#owner = options.owner;
    this.#now = options.now;
  }

  /**
   * Shares breaker state with the other processes of the store (workers): reads the states they
   * reported now and every `refreshMs`, so a breaker one worker opened fails fast in all of them.
   */
  async share(refreshMs: number): Promise<void> {
    await this.refresh();
    this.#refresher ??= setInterval(() => void this.refresh().catch(() => {}), refreshMs);
    this.#refresher.unref();
  }

  async refresh(): Promise<void> {
    const states = await readBreakerStates(this.#store);
    this.#openedElsewhere.clear();
    for (const record of states.values()) if (record.state === "open" && record.owner !== this.#owner) this.#openedElsewhere.set(record.name, record.changedAt);
  }

  close(): void {
    clearInterval(this.#refresher);
    this.#refresher = undefined;
  }

  /** The guard for `name` (`agent:x` or `tool:y`), or undefined when it declares none. */
  for(name: string, options: { circuitBreaker?: CircuitBreakerOptions; bulkhead?: BulkheadOptions }): Guard | undefined {
    let guard = this.#guards.get(name);
    if (guard === undefined) {
      guard =
        options.circuitBreaker || options.bulkhead
          ? new Guard(name, { ...options, onBreakerChange: (state) => this.#record(name, state), sharedOpenedAt: () => this.#openedElsewhere.get(name) })
          : null;
      this.#guards.set(name, guard);
    }
    return guard ?? undefined;
  }

  #record(name: string, state: BreakerState): void {
    reportBreakerState(this.#store, { name, state, changedAt: this.#now(), owner: this.#owner });
  }
}
