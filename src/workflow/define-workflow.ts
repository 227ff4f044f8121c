import { invalidPlacementLabel } from "../agent/placement.ts";
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
  /** With workers (`dispatch: "queue"`): the queue its runs are handed to (default "default"); `cadre worker --queues` picks queues. */
  queue?: string;
  /**
   * With workers: labels a worker must advertise (`cadre worker --labels region=eu`) to execute
   * the workflow's runs; with no matching live worker a run waits. Data residency, hardware.
   */
  placement?: Record<string, string>;
  /** With workers: at most this many runs of the workflow execute at once, across every worker. */
  concurrency?: number;
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
  if (definition.concurrency !== undefined && !(Number.isInteger(definition.concurrency) && definition.concurrency >= 1)) {
    throw new ConfigurationError({ message: `Workflow "${definition.name}": concurrency must be a whole number of runs, at least 1 (got ${String(definition.concurrency)}).`, workflow: definition.name, field: "concurrency" });
  }
  if (definition.queue !== undefined && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(definition.queue)) {
    throw new ConfigurationError({ message: `Workflow "${definition.name}": queue "${definition.queue}" must be lowercase letters, digits, dashes or underscores.`, workflow: definition.name, field: "queue" });
  }
  const badLabel = invalidPlacementLabel(definition.placement);
  if (badLabel) throw new ConfigurationError({ message: `Workflow "${definition.name}": placement ${badLabel} may hold only letters, digits, dots, dashes and underscores.`, workflow: definition.name, field: "placement" });
  return { ...definition, kind: "workflow" };
}
