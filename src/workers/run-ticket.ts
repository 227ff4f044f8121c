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

/**
 * The pg-boss queue that carries the tickets of a Cadre queue (`queue` on a workflow; default
 * "default") for one placement: a run that must execute on `region=eu` workers is queued apart,
 * where only workers advertising that label look, so no other worker ever takes it.
 */
export function jobQueueName(queue: string, placement: Record<string, string> = {}): string {
  const labels = Object.entries(placement)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([key, value]) => `/${key}/${value}`)
    .join("");
  return `cadre-runs.${queue}${labels}`;
}

/** Whether a worker advertising `labels` may execute work placed at `placement`. */
export function placementMatches(placement: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(placement).every(([key, value]) => labels[key] === value);
}

/** `region=eu,tier=gpu`: how placements and labels are written for people. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

export const defaultQueue = "default";
