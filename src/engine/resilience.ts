import { ExponentialBackoff, TaskCancelledError, TimeoutStrategy, handleWhen, retry, timeout } from "cockatiel";
import { CadreError } from "../errors.ts";
import { AbortedError } from "./engine-errors.ts";

/** How a step is retried. A retry is a new attempt in the journal with the same idempotency key. */
export interface RetryOptions {
  /** Total attempts including the first (default 1: no retry). */
  maxAttempts?: number;
  /** First backoff delay (default 200 ms); later ones grow exponentially with jitter. */
  initialDelayMs?: number;
  /** Upper bound of one backoff delay (default 10 s). */
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error or runs out of
 * attempts. Backoff is exponential with decorrelated jitter (cockatiel's default generator).
 */
export async function withRetry<T>(
  options: RetryOptions | undefined,
  signal: AbortSignal,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  const maxAttempts = Math.max(1, options?.maxAttempts ?? 1);
  if (maxAttempts === 1) return attempt(1);
  const policy = retry(
    handleWhen((error) => CadreError.is(error) && error.retryable),
    {
      maxAttempts: maxAttempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: options?.initialDelayMs ?? 200, maxDelay: options?.maxDelayMs ?? 10_000 }),
    },
  );
  return policy.execute(({ attempt: index }) => attempt(index + 1), signal);
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs` (and when `signal` aborts). The
 * promise rejects at the deadline, or as soon as `signal` aborts, even if `work` ignores its
 * signal: a stuck effect can neither stall the workflow nor keep its budget hold open.
 * `onTimeout` builds the error to throw at the deadline.
 */
export async function withTimeout<T>(
  timeoutMs: number | undefined,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Error,
): Promise<T> {
  if (timeoutMs === undefined || timeoutMs <= 0 || !Number.isFinite(timeoutMs)) return rejectOnAbort(signal, work(signal));
  const policy = timeout(timeoutMs, TimeoutStrategy.Aggressive);
  try {
    return await rejectOnAbort(signal, policy.execute(({ signal: inner }) => work(inner), signal));
  } catch (error) {
    if (error instanceof TaskCancelledError && !signal.aborted) throw onTimeout();
    throw error;
  }
}

function rejectOnAbort<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new AbortedError({ message: "The step was aborted: its caller timed out or was cancelled." }));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError({ message: "The step was aborted: its caller timed out or was cancelled." }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
