import type { Agent } from "../agent/define-agent.ts";
import { ConfigurationError } from "../errors.ts";
import { defineWorkflow, type Workflow } from "./define-workflow.ts";

/**
 * A distributed fan-out (`ctx.map(items, agent, { distribute: true })`) sends each item to a
 * worker process. A closure cannot cross processes, so a branch must be something a worker
 * rebuilds by name from its own configuration: a call of an agent is a run of the one-step
 * workflow `branch-<agent>`, which every runtime derives from its agents.
 */
export const branchWorkflowName = (agent: string) => `branch-${agent}`;

/**
 * The one-step workflows of every agent, by name. The agent's `placement` is the branch's: a
 * distributed call of a placed agent is queued only where workers with those labels look.
 */
export function branchWorkflows(agents: Iterable<Agent>, workflows: ReadonlyMap<string, Workflow>): Map<string, Workflow> {
  const branches = new Map<string, Workflow>();
  for (const agent of agents) {
    const name = branchWorkflowName(agent.name);
    if (workflows.has(name)) {
      throw new ConfigurationError({ message: `The workflow "${name}" has the name Cadre gives the distributed calls of the agent "${agent.name}" (ctx.map with distribute: true): rename the workflow.`, workflow: name, field: "workflows" });
    }
    branches.set(
      name,
      defineWorkflow({
        name,
        description: `One distributed call of the agent ${agent.name} (a branch of a fan-out).`,
        input: agent.input,
        output: agent.output,
        ...(agent.placement ? { placement: agent.placement } : {}),
        run: (input, ctx) => ctx.call(agent, input),
      }),
    );
  }
  return branches;
}

/** What `distribute: true` may not do: a closure branch has nothing a worker could rebuild it from. */
export function closuresCannotBeDistributed(position: string): ConfigurationError {
  return new ConfigurationError({
    message: `ctx.parallel(..., { distribute: true }) at step ${position}: a branch that is a closure cannot run on another process. Distribute calls a worker can rebuild by name instead: ctx.map(items, agent, { distribute: true }) (each item one call of the agent) or ctx.map(items, workflow, { distribute: true }) (each item a child run).`,
    position,
    field: "distribute",
  });
}
