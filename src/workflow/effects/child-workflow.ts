import { idempotencyKeyFor } from "../../engine/ids.ts";
import type { GrantSpec } from "../../governance/grants.ts";
import type { Workflow } from "../define-workflow.ts";
import type { RunState } from "../run-state.ts";
import type { Effect, EffectStep } from "./effect.ts";

/** The run id of the child a parent's step starts: the same on every resume of the parent. */
export function childRunIdFor(parentRunId: string, stepKey: string): string {
  return `run_${idempotencyKeyFor(parentRunId, stepKey).slice(0, 24)}`;
}

/**
 * A child workflow: a run of its own, with a budget carved from this run and at most the
 * grants given. Its run id derives from the parent's run and step, so a resumed parent finds
 * (and resumes) the same child instead of starting another.
 */
export function childWorkflow<O>(state: RunState, options: { workflow: Workflow<any, O, any>; input: unknown; budget?: number; grants?: GrantSpec[] }): Effect<O> {
  const { workflow, input, budget, grants } = options;
  const childRunId = (step: EffectStep) => childRunIdFor(state.runId, step.key);
  return {
    type: "workflow",
    name: workflow.name,
    label: `workflow:${workflow.name}`,
    policy: { action: "workflow", principal: { type: "Workflow", name: state.workflow }, resource: { type: "Workflow", name: workflow.name }, amountMicros: budget ?? workflow.budget?.perRun ?? 0 },
    input: (step: EffectStep) => ({ runId: childRunId(step), input, budget: budget ?? null, grants: grants ?? null }),
    execute: async (_attempt, step) => (await state.runChild({ workflow, input, runId: childRunId(step), parentStepKey: step.key, budget, grants })) as O,
  };
}
