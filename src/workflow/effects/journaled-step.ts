import type { AttemptContext } from "../../engine/run-step.ts";
import type { RetryOptions } from "../../engine/resilience.ts";
import type { StepType } from "../../store/schema.ts";
import type { Effect } from "./effect.ts";

/**
 * Any other side-effecting code (`ctx.step`, a blackboard write, a supervisor's decision):
 * journaled so a resume returns its result instead of running it again; audited unless it
 * writes its own records (`audited: false`).
 */
export function journaledStep<T>(options: {
  name: string;
  work: (attempt: AttemptContext) => Promise<T> | T;
  input?: unknown;
  type?: StepType;
  timeoutMs?: number;
  retry?: RetryOptions;
  audited?: boolean;
}): Effect<T> {
  return {
    type: options.type ?? "step",
    name: options.name,
    input: options.input,
    audited: options.audited,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    execute: async (attempt) => options.work(attempt),
  };
}
