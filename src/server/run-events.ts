import { randomBytes } from "node:crypto";
import type { RuntimeEventName, RuntimeEvents } from "../engine/events.ts";
import type { Operator } from "../operator/operator.ts";
import type { Runtime } from "../workflow/runtime.ts";

/** One event as the API streams it: `{ type, runId, stepKey?, at, data }`, with the id a reconnecting client sends back. */
export interface RunEvent {
  id: string;
  type: string;
  runId: string;
  stepKey?: string;
  at: number;
  data: Record<string, unknown>;
}

export type NewRunEvent = Omit<RunEvent, "id" | "at"> & { at?: number };

/**
 * How each runtime event becomes a streamed one. A runtime event not listed here is not
 * streamed: adding one (model tokens, say) is one entry.
 */
const forwarded: { [K in RuntimeEventName]: (event: RuntimeEvents[K]) => NewRunEvent } = {
  "run-start": ({ runId, ...data }) => ({ type: "run-start", runId, data }),
  "run-end": ({ runId, output, ...data }) => ({ type: "run-end", runId, data: { ...data, ...boundedOutput(output) } }),
  "step-start": ({ runId, key, ...data }) => ({ type: "step-start", runId, stepKey: key, data }),
  "step-end": ({ runId, key, ...data }) => ({ type: "step-end", runId, stepKey: key, data }),
  "model-delta": ({ runId, stepKey, ...data }) => ({ type: "model-delta", runId, stepKey, data }),
  "wait-start": ({ runId, key, ...data }) => ({ type: "wait-start", runId, stepKey: key, data }),
};

/** The largest run output an event carries (JSON bytes): the hub keeps 1,000 events, a run's output may be megabytes. */
export const maxEventOutputBytes = 64 * 1024;

/** The output itself when it is small; otherwise a note to read it from GET /api/runs/{id}. */
export function boundedOutput(output: unknown): { output?: unknown; outputOmitted?: { bytes: number } } {
  if (output === undefined) return {};
  const bytes = Buffer.byteLength(JSON.stringify(output) ?? "");
  return bytes <= maxEventOutputBytes ? { output } : { outputOmitted: { bytes } };
}

/** A run status after which its stream has nothing more to say. */
export const finalStatuses: ReadonlySet<string> = new Set(["completed", "partial", "failed", "cancelled"]);

/**
 * The runtime's events as a numbered stream for SSE clients: every event gets an id
 * (`<boot>-<n>`, unique to this server process), the newest `bufferSize` are kept so a client
 * that reconnects with `Last-Event-ID` gets what it missed, and a run that parks is followed
 * by what it waits for (`wait` events, read from the store).
 */
export class RunEventHub {
  readonly #boot = randomBytes(3).toString("hex");
  readonly #buffer: RunEvent[] = [];
  readonly #bufferSize: number;
  readonly #listeners = new Set<(event: RunEvent) => void>();
  readonly #detach: Array<() => void> = [];
  readonly #operator: Operator;
  readonly #now: () => number;
  #sequence = 0;

  constructor(options: { runtime: Runtime; operator: Operator; now: () => number; bufferSize?: number }) {
    this.#operator = options.operator;
    this.#now = options.now;
    this.#bufferSize = options.bufferSize ?? 1000;
    for (const name of Object.keys(forwarded) as RuntimeEventName[]) {
      this.#detach.push(options.runtime.on(name, (event) => this.#forward(name, event)));
    }
  }

  /** Numbers an event, keeps it for replay and hands it to every subscriber. */
  publish(event: NewRunEvent): RunEvent {
    this.#sequence += 1;
    const numbered: RunEvent = { id: `${this.#boot}-${this.#sequence}`, ...event, at: event.at ?? this.#now() };
    this.#buffer.push(numbered);
    if (this.#buffer.length > this.#bufferSize) this.#buffer.shift();
    for (const listener of this.#listeners) listener(numbered);
    return numbered;
  }

  subscribe(listener: (event: RunEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The kept events after the one with id `lastEventId` (all kept events without one).
   * Undefined when that id is not kept: from an earlier server process, or too old.
   */
  since(lastEventId: string | undefined): RunEvent[] | undefined {
    if (lastEventId === undefined) return [...this.#buffer];
    const index = this.#buffer.findIndex((event) => event.id === lastEventId);
    return index === -1 ? undefined : this.#buffer.slice(index + 1);
  }

  /** Stops listening to the runtime. */
  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
    this.#listeners.clear();
  }

  #forward<K extends RuntimeEventName>(name: K, event: RuntimeEvents[K]): void {
    this.publish(forwarded[name](event));
    if (name === "run-end" && (event as RuntimeEvents["run-end"]).status === "waiting") void this.#publishWaits(event.runId);
  }

  /** What a parked run waits for: a UI shows the approval to decide without polling. */
  async #publishWaits(runId: string): Promise<void> {
    try {
      for (const wait of await this.#operator.runs.waits(runId)) {
        if (wait.kind === "event") this.publish({ type: "wait", runId, data: { kind: "event", runId: wait.runId, topic: wait.topic } });
        else {
          const pending = (await this.#operator.approvals.pending({ runId: wait.runId })).find((approval) => approval.name === wait.name);
          this.publish({ type: "wait", runId, stepKey: pending?.stepKey, data: { kind: "approval", runId: wait.runId, name: wait.name, request: pending?.request ?? null, deadline: pending?.deadline ?? null } });
        }
      }
    } catch {
      // The store closed under a shutting-down server: the run's record still says what it waits for.
    }
  }
}
