/**
 * The seam between what pays for HTTP (x402, in interop/x402/) and what makes paid HTTP calls
 * (a remote A2A agent, a paid-HTTP tool). A governed effect reserves `maxMicros` before the call,
 * runs the call through the session's fetch and settles what `paid()` reports afterwards.
 */
export interface PaymentLimits {
  /** The most this call may pay, in micro-units: a price above it is refused before anything is paid. */
  maxMicros: number;
  /** The effect's idempotency key: a retried or resumed call presents the same payment, never a second one. */
  idempotencyKey: string;
  /** Who pays: the agent whose account and credential the payment is made from. */
  agent: string;
  signal?: AbortSignal;
}

/** One paid call's fetch and what it has paid so far. */
export interface PaymentSession {
  /** Like `fetch`; a 402 Payment Required is answered by paying within the limits and retrying once. */
  fetch: typeof fetch;
  /** Micro-units paid through this session (0 when the resource was free). */
  paid(): number;
}

/** Pays for HTTP resources that answer 402 (an x402 scheme such as `iou`, or `exact` on a real network). */
export interface HttpPayer {
  session(limits: PaymentLimits): PaymentSession;
}
