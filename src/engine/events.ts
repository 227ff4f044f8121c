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
}

export type RuntimeEventName = keyof RuntimeEvents;
type Listener<K extends RuntimeEventName> = (event: RuntimeEvents[K]) => void;

/** A tiny typed event emitter; a throwing listener never breaks a run. */
export class EventBus {
  #listeners = new Map<RuntimeEventName, Set<Listener<any>>>();

  on<K extends RuntimeEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends RuntimeEventName>(name: K, event: RuntimeEvents[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // Progress reporting must not change the outcome of a run.
      }
    }
  }
}
