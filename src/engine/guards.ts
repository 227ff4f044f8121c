import type { Store } from "../store/store.ts";
import { Guard, type BreakerState, type BulkheadOptions, type CircuitBreakerOptions } from "./agent-policies.ts";
import { reportBreakerState } from "./breaker-states.ts";

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

  constructor(options: { store: Store; owner: string; now: () => number }) {
    this.#store = options.store;
    this.#owner = options.owner;
    this.#now = options.now;
  }

  /** The guard for `name` (`agent:x` or `tool:y`), or undefined when it declares none. */
  for(name: string, options: { circuitBreaker?: CircuitBreakerOptions; bulkhead?: BulkheadOptions }): Guard | undefined {
    let guard = this.#guards.get(name);
    if (guard === undefined) {
      guard =
        options.circuitBreaker || options.bulkhead
          ? new Guard(name, { ...options, onBreakerChange: (state) => this.#record(name, state) })
          : null;
      this.#guards.set(name, guard);
    }
    return guard ?? undefined;
  }

  #record(name: string, state: BreakerState): void {
    reportBreakerState(this.#store, { name, state, changedAt: this.#now(), owner: this.#owner });
  }
}
