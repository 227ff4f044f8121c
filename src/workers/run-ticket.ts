/**
 * What a queued job asks a worker to do with one run. The run itself (input, journal, lease)
 * lives in the store; the ticket only names it, so a ticket delivered twice is harmless: the
 * fenced lease decides who executes, the journal makes a completed step return its output.
 */
export interface RunTicket {
  runId: string;
  workflow: string;
  /** `start`: a new (pending) run; `resume`: after an answer, or `cadre resume`; `wake`: a wait's deadline passed. */
  kind: "start" | "resume" | "wake";
  /** Take the run over even if a live process holds its lease (`cadre resume --force`). */
  force?: boolean;
}

/** What executing a ticket came to, as the worker needs to know it. */
export type TicketOutcome =
  /** Executed (to its end or until it parked), or nothing was left to do. */
  | { kind: "done"; status: string }
  /** Another process holds the run's lease: look again when it expires. */
  | { kind: "leased"; until: number };

/** The pg-boss queue that carries the tickets of a Cadre queue (`queue` on a workflow; default "default"). */
export function jobQueueName(queue: string): string {
  return `cadre-runs.${queue}`;
}

export const defaultQueue = "default";
