import { NonDeterminismError } from "../../engine/engine-errors.ts";
import { runStep, type StepEnvironment, type StepHooks } from "../../engine/run-step.ts";
import type { Scope } from "../../engine/scope.ts";
import type { SerializedError } from "../../errors.ts";

/** One failure a supervisor handled, as the journal keeps it. */
export interface SupervisorDecision {
  /** The child whose failure was handled, and the generation it failed in. */
  child: string;
  generation: number;
  /** When the supervisor handled it (counts toward the restart intensity on replay). */
  at: number;
  error: SerializedError;
  /** Children started again in their next generation; empty when a temporary child failed. */
  restarted: string[];
  /** Temporary children a group restart stopped for good. */
  terminated: string[];
}

/** Where a supervisor reads the decisions of earlier executions and journals new ones. */
export interface SupervisorJournal {
  /** The decisions journaled by earlier executions of this run, in order. Call once, first. */
  history(childIds: readonly string[]): SupervisorDecision[];
  /** Journals a decision before the supervisor carries it out. */
  record(decision: SupervisorDecision): Promise<void>;
}

const stepName = "decision";

/**
 * A supervisor's decision log: step `n` of its own scope (`<position>.s/<n>:decision`) is its
 * n-th handled failure. Decisions are ordinary journaled steps, so they commit in order with
 * the children's steps and show in `cadre show`.
 */
export function supervisorJournal(options: { environment: StepEnvironment; scope: Scope; hooks?: (name: string, key: string) => StepHooks | undefined }): SupervisorJournal {
  const { environment, scope } = options;
  return {
    history(childIds) {
      const decisions: SupervisorDecision[] = [];
      for (;;) {
        const entry = environment.journal.at(`${scope.prefix}${decisions.length + 1}`);
        if (entry?.status !== "completed") return decisions;
        const decision = entry.output as SupervisorDecision;
        const unknown = [decision.child, ...decision.restarted, ...decision.terminated].find((id) => !childIds.includes(id));
        if (entry.name !== stepName || unknown !== undefined) {
          throw new NonDeterminismError({
            runId: environment.runId,
            position: entry.key,
            journaled: `a supervisor decision about child "${unknown ?? decision.child}"`,
            requested: `a supervisor with children ${childIds.map((id) => `"${id}"`).join(", ")}`,
          });
        }
        scope.next(stepName);
        decisions.push(decision);
      }
    },
    async record(decision) {
      const { position, key } = scope.next(stepName);
      await runStep(environment, { position, key, name: stepName, type: "step", input: decision, hooks: options.hooks?.(stepName, key), execute: async () => decision });
    },
  };
}
