import { ConfigurationError } from "../errors.ts";
import type { TimeoutSetting } from "./adaptive-timeout.ts";
import type { BulkheadOptions, CircuitBreakerOptions } from "./agent-policies.ts";
import type { RetryOptions } from "./resilience.ts";

/** The resilience settings an agent or tool may declare. */
export interface PolicySettings {
  circuitBreaker?: CircuitBreakerOptions | undefined;
  bulkhead?: BulkheadOptions | undefined;
  timeout?: TimeoutSetting | undefined;
  retry?: RetryOptions | undefined;
}

/**
 * Checks an agent's or tool's breaker, bulkhead and timeout settings when it is defined, so a
 * mistake is reported with its owner and field rather than as a failure of its first call.
 */
export function validatePolicies(options: { subject: string; settings: PolicySettings }): void {
  const { subject, settings } = options;
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => void (ok || problems.push(problem));
  const positiveInteger = (value: number | undefined) => value === undefined || (Number.isSafeInteger(value) && value >= 1);
  const { circuitBreaker: breaker, bulkhead, timeout, retry } = settings;
  if (breaker) {
    check(Number.isFinite(breaker.halfOpenAfterMs) && breaker.halfOpenAfterMs >= 0, "circuitBreaker.halfOpenAfterMs must be a number of milliseconds ≥ 0");
    check(positiveInteger(breaker.consecutiveFailures), "circuitBreaker.consecutiveFailures must be an integer ≥ 1");
    check(positiveInteger(breaker.halfOpenProbes), "circuitBreaker.halfOpenProbes must be an integer ≥ 1");
    check(!(breaker.sampling && breaker.consecutiveFailures !== undefined), "circuitBreaker takes consecutiveFailures or sampling, not both");
    if (breaker.sampling) {
      check(breaker.sampling.threshold > 0 && breaker.sampling.threshold < 1, "circuitBreaker.sampling.threshold must be between 0 and 1 (exclusive)");
      check(Number.isFinite(breaker.sampling.windowMs) && breaker.sampling.windowMs > 0, "circuitBreaker.sampling.windowMs must be > 0");
      check(breaker.sampling.minimumRps === undefined || breaker.sampling.minimumRps > 0, "circuitBreaker.sampling.minimumRps must be > 0");
    }
  }
  if (bulkhead) {
    check(positiveInteger(bulkhead.maxConcurrency), "bulkhead.maxConcurrency must be an integer ≥ 1");
    check(bulkhead.queue === undefined || (Number.isSafeInteger(bulkhead.queue) && bulkhead.queue >= 0), "bulkhead.queue must be an integer ≥ 0");
  }
  check(timeout === undefined || typeof timeout === "object" || (Number.isFinite(timeout) && timeout > 0), "timeout must be a number of milliseconds > 0");
  if (retry) {
    check(positiveInteger(retry.maxAttempts), "retry.maxAttempts must be an integer ≥ 1 (1: no retry)");
    check(retry.initialDelayMs === undefined || (Number.isFinite(retry.initialDelayMs) && retry.initialDelayMs >= 0), "retry.initialDelayMs must be a number of milliseconds ≥ 0");
    check(retry.maxDelayMs === undefined || (Number.isFinite(retry.maxDelayMs) && retry.maxDelayMs >= 0), "retry.maxDelayMs must be a number of milliseconds ≥ 0");
  }
  if (typeof timeout === "object") {
    check(Number.isFinite(timeout.fallback) && timeout.fallback > 0, "timeout.fallback must be a number of milliseconds > 0");
    check(timeout.factor === undefined || timeout.factor > 0, "timeout.factor must be > 0");
    check(positiveInteger(timeout.minSamples), "timeout.minSamples must be an integer ≥ 1");
    check(timeout.min === undefined || timeout.max === undefined || timeout.min <= timeout.max, "timeout.min must not exceed timeout.max");
  }
  if (problems.length > 0) {
    throw new ConfigurationError({ message: `${subject} has invalid resilience settings: ${problems.join("; ")}.`, subject, problems });
  }
}
