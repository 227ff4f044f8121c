import { ConfigurationError } from "../errors.ts";
import type { z } from "zod";
import type { WorkflowContext } from "./context.ts";

export interface WorkflowDefinition<I = any, O = any, In = I> {
  name: string;
  description?: string;
  input: z.ZodType<I, In>;
  output: z.ZodType<O>;
  /** Money for each run (moved from the workflow's account when the run starts) and the account's first allocation, in micro-units. */
  budget?: WorkflowBudget;
  /** The run's original goal, derived from its input; re-injected into every agent call. */
  goal?: (input: I) => string;
  /**
   * Topics this workflow subscribes to: every event published on one of them (`ctx.emit`,
   * `runtime.publish`, `cadre emit`) starts a run with the event's data as input, once per
   * event, in any runtime that registers the workflow.
   */
  subscribe?: string[];
  run(input: I, context: WorkflowContext): Promise<O>;
}

export interface WorkflowBudget {
  perRun: number;
  /** Deposited into the treasury and allocated to the workflow the first time a runtime sees it. */
  allocation?: number;
}

/** A durable TypeScript function that orchestrates agents through `ctx`. */
export interface Workflow<I = any, O = any, In = I> extends WorkflowDefinition<I, O, In> {
  readonly kind: "workflow";
}

const workflowNamePattern = /^[a-z][a-z0-9-]{0,62}$/;

export function defineWorkflow<I, O, In = I>(definition: WorkflowDefinition<I, O, In>): Workflow<I, O, In> {
  if (!workflowNamePattern.test(definition.name)) {
    throw new ConfigurationError({ message: `Workflow name "${definition.name}" must be kebab-case: lowercase letters, digits and dashes, starting with a letter.`, workflow: definition.name, field: "name" });
  }
  return { ...definition, kind: "workflow" };
}
