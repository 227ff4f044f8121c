import { RunSuspended } from "./run-suspended.ts";
import { BrokenCircuitError, BulkheadRejectedError, CircuitState, ConsecutiveBreaker, IsolatedCircuitError, SamplingBreaker, bulkhead, circuitBreaker, handleWhen, type BulkheadPolicy, type CircuitBreakerPolicy } from "cockatiel";
import { CadreError, type CadreErrorOptions } from "../errors.ts";
import { AbortedError } from "./engine-errors.ts";
import { validatePolicies } from "./validate-policies.ts";

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
  constructor(details: { name: string; halfOpenAfterMs: number; stepKey?: string }, options?: CadreErrorOptions) {
    super(
      "CIRCUIT_OPEN",
      `The circuit breaker for "${details.name}" is open after repeated failures: failing fast without calling it. It lets a probe through ${details.halfOpenAfterMs} ms after it opened; retry after that, or fix what makes "${details.name}" fail.`,
      { retryable: true, ...options, details },
    );
  }
}

export class BulkheadFullError extends CadreError {
  constructor(details: { name: string; maxConcurrency: number; queue: number; waitedMs?: number }, options?: CadreErrorOptions) {
    const why = details.waitedMs === undefined ? `queue ${details.queue} full` : `no slot freed within ${details.waitedMs} ms`;
    super("BULKHEAD_FULL", `"${details.name}" already runs ${details.maxConcurrency} calls (${why}); the call was refused to protect the rest of the system. Retry later, or raise bulkhead.maxConcurrency/queue.`, {
      retryable: true,
      ...options,
      details,
    });
  }
}

/** What one guarded attempt tells its guard. */
export interface GuardedAttempt {
  /** The attempt's signal: a call still waiting for a bulkhead slot gives up when it aborts. */
  signal?: AbortSignal;
  /** The attempt's timeout: a call waits at most this long for a bulkhead slot. */
  timeoutMs?: number | undefined;
  /** The attempt's effect once started: its bulkhead slot stays taken until the effect settles. */
  effect?: () => Promise<unknown> | undefined;
  /**
   * Runs once the call is admitted (a bulkhead slot, a breaker that is not open) and before
   * `work`, outside the breaker's count: the journal's start and the gateway's checks, whose
   * refusals (no grant, no budget) say nothing about the health of the agent or tool.
   */
  before?: () => Promise<void>;
}

/**
 * Failures that say the agent or tool is unhealthy. A cancelled call (its run or join was
 * aborted) and a refusal that is the caller's fault (bad input, no grant, no budget) do not.
 */
function isHealthFailure(error: unknown): boolean {
  // Waiting for a person (an agent whose tool call needs approval) is not a failure.
  if (RunSuspended.is(error)) return false;
  if (!CadreError.is(error)) return true;
  return error.code !== "ABORTED" && (error.fault === "system" || error.fault === "model" || error.fault === "timeout" || error.fault === "validation");
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
  #openedAt = 0;
  readonly #breakerOptions: CircuitBreakerOptions | undefined;
  readonly #bulkhead: BulkheadPolicy | undefined;
  readonly #bulkheadOptions: BulkheadOptions | undefined;
  readonly #sharedOpenedAt: (() => number | undefined) | undefined;

  /** `sharedOpenedAt`: when another process last opened this breaker (the store's record), so its opening protects this process too. */
  constructor(name: string, options: { circuitBreaker?: CircuitBreakerOptions; bulkhead?: BulkheadOptions; onBreakerChange?: (state: BreakerState) => void; sharedOpenedAt?: () => number | undefined }) {
    this.name = name;
    this.#sharedOpenedAt = options.sharedOpenedAt;
    validatePolicies({ subject: `"${name}"`, settings: options });
    const breakerOptions = options.circuitBreaker;
    if (breakerOptions) {
      this.#breakerOptions = breakerOptions;
      const breaker = breakerOptions.sampling
        ? new SamplingBreaker({ threshold: breakerOptions.sampling.threshold, duration: breakerOptions.sampling.windowMs, minimumRps: breakerOptions.sampling.minimumRps })
        : new ConsecutiveBreaker(breakerOptions.consecutiveFailures ?? 5);
      this.#breaker = circuitBreaker(handleWhen(isHealthFailure), {
        breaker,
        halfOpenAfter: breakerOptions.halfOpenAfterMs,
        halfOpenSampling: { calls: breakerOptions.halfOpenProbes ?? 1, threshold: 0 },
      });
      this.#breaker.onStateChange((state) => {
        // Cockatiel measures its open period with Date.now(); so does the admission check.
        if (state === CircuitState.Open) this.#openedAt = Date.now();
        options.onBreakerChange?.(stateNames[state]);
      });
    }
    if (options.bulkhead) {
      this.#bulkheadOptions = options.bulkhead;
      this.#bulkhead = bulkhead(options.bulkhead.maxConcurrency, options.bulkhead.queue ?? 0);
    }
  }

  get breakerState(): BreakerState | undefined {
    return this.#breaker ? stateNames[this.#breaker.state] : undefined;
  }

  /**
   * Runs `work` through the bulkhead, then the breaker (an open one refuses before `before`
   * runs, so a refused call starts nothing). The bulkhead slot is held until the
   * attempt's effect has really ended, not just until `work` gave up on it at its deadline: an
   * effect that ignores its abort signal keeps its slot, so no more than `maxConcurrency` calls
   * ever run at once. Calls waiting for a slot give up at their timeout or when aborted.
   */
  run<T>(work: () => Promise<T>, attempt: GuardedAttempt = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: unknown) => reject(this.#translate(error));
      const waiting = new AbortController();
      let started = false;
      const giveUp = (error: Error) => {
        if (started) return;
        waiting.abort();
        reject(error);
      };
      const onAbort = () => giveUp(new AbortedError({ message: `A call of "${this.name}" was cancelled while it waited for a bulkhead slot.`, name: this.name }));
      const waitLimit = this.#bulkhead && attempt.timeoutMs !== undefined && Number.isFinite(attempt.timeoutMs) && attempt.timeoutMs > 0 ? attempt.timeoutMs : undefined;
      const timer = waitLimit === undefined ? undefined : setTimeout(() => giveUp(this.#bulkheadFull(waitLimit)), waitLimit);
      attempt.signal?.addEventListener("abort", onAbort, { once: true });
      const occupy = async () => {
        started = true;
        clearTimeout(timer);
        attempt.signal?.removeEventListener("abort", onAbort);
        try {
          this.#admit();
          await attempt.before?.();
          resolve(await (this.#breaker ? this.#breaker.execute(work) : work()));
        } catch (error) {
          fail(error);
        }
        await attempt.effect?.()?.then(
          () => {},
          () => {},
        );
      };
      (this.#bulkhead ? this.#bulkhead.execute(occupy, waiting.signal) : occupy()).catch(fail);
    });
  }

  /** Fails fast while the breaker is open (or isolated) and its probe delay has not passed, before anything else runs. */
  #admit(): void {
    const state = this.#breaker?.state;
    if (state === CircuitState.Isolated) throw new IsolatedCircuitError();
    if (state === CircuitState.Open && Date.now() - this.#openedAt < this.#breakerOptions!.halfOpenAfterMs) throw new BrokenCircuitError();
    // Opened by another worker: fail fast here too until its probe delay has passed.
    const sharedOpenedAt = this.#breakerOptions ? this.#sharedOpenedAt?.() : undefined;
    if (sharedOpenedAt !== undefined && Date.now() - sharedOpenedAt < this.#breakerOptions!.halfOpenAfterMs) throw new BrokenCircuitError();
  }

  #bulkheadFull(waitedMs?: number): BulkheadFullError {
    return new BulkheadFullError({ name: this.name, maxConcurrency: this.#bulkheadOptions!.maxConcurrency, queue: this.#bulkheadOptions!.queue ?? 0, ...(waitedMs === undefined ? {} : { waitedMs }) });
  }

  #translate(error: unknown): unknown {
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return new CircuitOpenError({ name: this.name, halfOpenAfterMs: this.#breakerOptions!.halfOpenAfterMs });
    if (error instanceof BulkheadRejectedError) return this.#bulkheadFull();
    return error;
  }
}
