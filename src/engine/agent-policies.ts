import { BrokenCircuitError, BulkheadRejectedError, CircuitState, ConsecutiveBreaker, SamplingBreaker, bulkhead, circuitBreaker, handleAll, type BulkheadPolicy, type CircuitBreakerPolicy } from "cockatiel";
import { CadreError } from "../errors.ts";

/** When to stop calling a failing agent or tool, and when to try it again. */
export interface CircuitBreakerOptions {
  /** Open after this many failures in a row (default 5, unless `sampling` is given). */
  consecutiveFailures?: number;
  /** Or open when the failure rate over a sliding window exceeds `threshold` (0..1). */
  sampling?: { threshold: number; windowMs: number; minimumRps?: number };
  /** How long the circuit stays open before probing (ms). */
  halfOpenAfterMs: number;
  /** How many probe calls half-open lets through before deciding (default 1). */
  halfOpenProbes?: number;
}

/** Limits on how many calls of one agent run at once, across every run in the runtime. */
export interface BulkheadOptions {
  maxConcurrency: number;
  /** Calls that may wait for a slot (default 0: refuse at once). */
  queue?: number;
}

export type BreakerState = "closed" | "open" | "half-open" | "isolated";

export class CircuitOpenError extends CadreError {
  constructor(details: { name: string; stepKey?: string }) {
    super("CIRCUIT_OPEN", "system", `The circuit breaker for "${details.name}" is open after repeated failures: failing fast without calling it. It will be probed again after its half-open delay.`, {
      details,
    });
  }
}

export class BulkheadFullError extends CadreError {
  constructor(details: { name: string; maxConcurrency: number; queue: number }) {
    super("BULKHEAD_FULL", "system", `"${details.name}" already runs ${details.maxConcurrency} calls (queue ${details.queue} full); the call was refused to protect the rest of the system.`, {
      details,
      retryable: true,
    });
  }
}

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

/** The guards of one agent or tool: a bulkhead outside, a breaker inside it. */
export class Guard {
  readonly name: string;
  readonly #breaker: CircuitBreakerPolicy | undefined;
  readonly #bulkhead: BulkheadPolicy | undefined;
  readonly #bulkheadOptions: BulkheadOptions | undefined;
  #running = 0;
  #peak = 0;

  constructor(name: string, options: { circuitBreaker?: CircuitBreakerOptions; bulkhead?: BulkheadOptions; onBreakerChange?: (state: BreakerState) => void }) {
    this.name = name;
    const breakerOptions = options.circuitBreaker;
    if (breakerOptions) {
      const breaker = breakerOptions.sampling
        ? new SamplingBreaker({ threshold: breakerOptions.sampling.threshold, duration: breakerOptions.sampling.windowMs, minimumRps: breakerOptions.sampling.minimumRps })
        : new ConsecutiveBreaker(breakerOptions.consecutiveFailures ?? 5);
      this.#breaker = circuitBreaker(handleAll, {
        breaker,
        halfOpenAfter: breakerOptions.halfOpenAfterMs,
        ...(breakerOptions.halfOpenProbes ? { halfOpenSampling: { calls: breakerOptions.halfOpenProbes, threshold: 0 } } : {}),
      });
      this.#breaker.onStateChange((state) => options.onBreakerChange?.(stateNames[state]));
    }
    if (options.bulkhead) {
      this.#bulkheadOptions = options.bulkhead;
      this.#bulkhead = bulkhead(options.bulkhead.maxConcurrency, options.bulkhead.queue ?? 0);
    }
  }

  get breakerState(): BreakerState | undefined {
    return this.#breaker ? stateNames[this.#breaker.state] : undefined;
  }

  /** The most calls that ever ran at once through this guard. */
  get peakConcurrency(): number {
    return this.#peak;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const counted = async () => {
      this.#running += 1;
      this.#peak = Math.max(this.#peak, this.#running);
      try {
        return await work();
      } finally {
        this.#running -= 1;
      }
    };
    const guarded = this.#breaker ? () => this.#breaker!.execute(counted) : counted;
    try {
      return await (this.#bulkhead ? this.#bulkhead.execute(guarded) : guarded());
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError({ name: this.name });
      if (error instanceof BulkheadRejectedError) throw new BulkheadFullError({ name: this.name, maxConcurrency: this.#bulkheadOptions!.maxConcurrency, queue: this.#bulkheadOptions!.queue ?? 0 });
      throw error;
    }
  }
}
