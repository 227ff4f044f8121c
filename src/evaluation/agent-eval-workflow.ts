import { z } from "zod";
import type { Agent } from "../agent/define-agent.ts";
import { ConfigurationError } from "../errors.ts";
import { defineWorkflow, type Workflow } from "../workflow/define-workflow.ts";

/** The name of the workflow that evaluates an agent: `eval-<agent>`. */
export function agentEvalWorkflowName(agent: string): string {
  return `eval-${agent}`;
}

/**
 * A workflow that makes one governed call of `agent` with its input and returns the answer:
 * how an agent (a router, a judge) is evaluated as real, journaled, budgeted runs. Register it
 * with the runtime that runs the evaluation; it holds no money of its own until `evaluate`
 * funds it for the examples it runs.
 */
export function agentEvalWorkflow(agent: Agent): Workflow {
  const name = agentEvalWorkflowName(agent.name);
  if (name.length > 63) throw new ConfigurationError({ message: `Agent "${agent.name}" has a name too long to evaluate: its evaluation workflow "${name}" would exceed 63 characters.`, agent: agent.name, field: "name" });
  return defineWorkflow({ name, description: `evaluates agent ${agent.name}: one labelled example a run`, input: z.any(), output: z.any(), run: (input, ctx) => ctx.call(agent, input) });
}
