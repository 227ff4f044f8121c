import { RateLimitedError } from "./server-errors.ts";

/**
 * Counts failed authentications per client address in a sliding window: once an address
 * reaches the limit, its requests are refused (RATE_LIMITED, 429) until the window has
 * passed since its oldest failure, so keys cannot be guessed at the speed of the network.
 */
export class FailedAttempts {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: { limit: number; windowMs: number; now: () => number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
  }

  /** Throws RATE_LIMITED when `address` is locked out; `details.retryAfterMs` says for how long. */
  check(address: string): void {
    const recent = this.#recent(address);
    if (recent.length < this.#limit) return;
    const retryAfterMs = recent[0]! + this.#windowMs - this.#now();
    throw new RateLimitedError({ address, retryAfterMs });
  }

  record(address: string): void {
    this.#failures.set(address, [...this.#recent(address), this.#now()]);
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.#windowMs;
    const recent = (this.#failures.get(address) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.#failures.delete(address);
    return recent;
  }
}
