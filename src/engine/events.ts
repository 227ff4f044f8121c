import type { SerializedError } from "../errors.ts";
import type { RunStatus, StepStatus, StepType } from "../store/schema.ts";

/** What a runtime reports while it works; the CLI draws its progress tree from these. */
export interface RuntimeEvents {
  "run-start": { runId: string; workflow: string; resumed: boolean };
  "run-end": { runId: string; workflow: string; status: RunStatus; output?: unknown; error?: SerializedError; durationMs: number };
  "step-start": { runId: string; key: string; name: string; type: StepType; agent: string | null; attempt: number };
  "step-end": {
    runId: string;
    key: string;
    name: string;
    type: StepType;
    agent: string | null;
    attempt: number;
    status: StepStatus;
    durationMs: number;
    error?: SerializedError;
    /** True when the result came from the journal and nothing ran. */
    replayed: boolean;
  };
  /** A piece of a model-backed agent's answer, as the provider streams it (never on replay: a resumed run returns the journaled text). */
  "model-delta": { runId: string; stepKey: string; agent: string; attempt: number; text: string };
  /** The run parks at a wait (an approval, an event): emitted each time it parks there until the answer comes. */
  "wait-start": { runId: string; key: string; name: string; type: StepType; request: unknown };
}

/** Any runtime event, tagged with its name in `event` (`type` is a step's type): what `handle.events()` yields. */
export type RuntimeEvent = { [K in RuntimeEventName]: { event: K } & RuntimeEvents[K] }[RuntimeEventName];

export type RuntimeEventName = keyof RuntimeEvents;
type Listener<K extends RuntimeEventName> = (event: RuntimeEvents[K]) => void;

/** A tiny typed event emitter; a throwing listener never breaks a run. */
export class EventBus {
  #listeners = new Map<RuntimeEventName, Set<Listener<any>>>();
  #any = new Set<(event: RuntimeEvent) => void>();

  /** Every event, tagged with its name. */
  onAny(listener: (event: RuntimeEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  on<K extends RuntimeEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether anyone listens for `name`: a watcher skips reading steps nobody draws. */
  listens(name: RuntimeEventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0 || this.#any.size > 0;
  }

  emit<K extends RuntimeEventName>(name: K, event: RuntimeEvents[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) call(listener, event);
    if (this.#any.size === 0) return;
    const tagged = { event: name, ...event } as RuntimeEvent;
    for (const listener of this.#any) call(listener, tagged);
  }
}

function call<E>(listener: (event: E) => void, event: E): void {
  try {
    listener(event);
  } catch {
    // Progress reporting must not change the outcome of a run.
  }
}
