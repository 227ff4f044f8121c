import type { Agent } from "../agent/define-agent.ts";
import { ConfigurationError } from "../errors.ts";
import { defineWorkflow, type Workflow, type WorkflowBudget } from "./define-workflow.ts";

/** The protocols an exposed workflow or agent is offered over. */
export type ExposureProtocol = "mcp" | "a2a";

/** How one workflow or agent is offered to callers outside the process. */
export interface ExposeOptions {
  /** What callers read (MCP tool description, A2A skill description); default: the workflow's or agent's own. */
  description?: string;
  /** Micro-units a caller pays per call over A2A (x402); default 0: free. A priced target is offered over A2A only. */
  price?: number;
  /** The protocols it is offered over (default: all). */
  via?: ExposureProtocol[];
  /** For an agent: the money each call's run gets, and the first allocation of its account (as a workflow's `budget`). Default: none. */
  budget?: WorkflowBudget;
}

/**
 * What `cadre serve` (MCP at /mcp, A2A under /a2a) and `cadre mcp` (stdio) offer: workflows and
 * agents by name. Nothing is exposed unless named here; what a caller may then start is still
 * decided by its credentials, grants and budget.
 */
export interface Exposure {
  workflows?: Record<string, ExposeOptions>;
  agents?: Record<string, ExposeOptions>;
}

/**
 * One exposed workflow or agent, resolved against the runtime's definitions. A call of either
 * is a run of `workflow`: for an agent, the one-step workflow `agent-<name>` that calls it, so
 * an outside call is journaled, governed, resumable and listed like any run.
 */
export interface ExposedTarget {
  kind: "workflow" | "agent";
  name: string;
  description: string;
  price: number;
  via: ExposureProtocol[];
  workflow: Workflow;
  /** Set for an exposed agent. */
  agent?: Agent;
}

/** The name of the workflow that runs an exposed agent's calls. */
export const agentCallWorkflowName = (agent: string) => `agent-${agent}`;

const protocols: ExposureProtocol[] = ["mcp", "a2a"];

/** Resolves `expose` against the runtime's workflows and agents; a name that is not defined, a negative price or an unknown protocol is a CONFIGURATION error. */
export function resolveExposure(exposure: Exposure | undefined, definitions: { workflows: readonly Workflow[]; agents: readonly Agent[] }): ExposedTarget[] {
  if (!exposure) return [];
  const workflows = new Map(definitions.workflows.map((workflow) => [workflow.name, workflow]));
  const agents = new Map(definitions.agents.map((agent) => [agent.name, agent]));
  const targets: ExposedTarget[] = [];
  for (const [name, options] of Object.entries(exposure.workflows ?? {})) {
    const workflow = workflows.get(name);
    if (!workflow) throw new ConfigurationError({ message: `expose.workflows names "${name}", which is not one of the runtime's workflows (${[...workflows.keys()].join(", ") || "none"}).`, field: `expose.workflows.${name}` });
    targets.push({ kind: "workflow", name, workflow, ...settings(options, `expose.workflows.${name}`, workflow.description ?? `Starts the workflow ${name}.`) });
  }
  for (const [name, options] of Object.entries(exposure.agents ?? {})) {
    const agent = agents.get(name);
    if (!agent) throw new ConfigurationError({ message: `expose.agents names "${name}", which is not one of the runtime's agents (${[...agents.keys()].join(", ") || "none"}).`, field: `expose.agents.${name}` });
    const workflowName = agentCallWorkflowName(name);
    if (workflows.has(workflowName)) throw new ConfigurationError({ message: `expose.agents names "${name}", whose calls run as the workflow "${workflowName}", but a workflow of that name is defined: rename it.`, field: `expose.agents.${name}` });
    const workflow = agentCallWorkflow(agent, options.budget);
    targets.push({ kind: "agent", name, agent, workflow, ...settings(options, `expose.agents.${name}`, agent.purpose) });
  }
  return targets;
}

function settings(options: ExposeOptions, field: string, fallback: string): { description: string; price: number; via: ExposureProtocol[] } {
  const price = options.price ?? 0;
  if (!Number.isSafeInteger(price) || price < 0) throw new ConfigurationError({ message: `${field}.price must be a whole number of micro-units ≥ 0, not ${String(options.price)}.`, field: `${field}.price` });
  // Only A2A calls are charged (x402 in front of /a2a/<name>): a priced target is not offered over MCP.
  const via = options.via ?? (price > 0 ? ["a2a" as const] : protocols);
  for (const protocol of via) {
    if (!protocols.includes(protocol)) throw new ConfigurationError({ message: `${field}.via holds "${String(protocol)}"; the protocols are ${protocols.join(" and ")}.`, field: `${field}.via` });
  }
  if (price > 0 && via.includes("mcp")) throw new ConfigurationError({ message: `${field} has a price, and only A2A calls are charged (x402): offer it with via: ["a2a"], or expose a free target over MCP.`, field: `${field}.via` });
  return { description: options.description ?? fallback, price, via };
}

/** The one-step workflow an exposed agent's calls run as: its input and output are the agent's. */
function agentCallWorkflow(agent: Agent, budget: WorkflowBudget | undefined): Workflow {
  return defineWorkflow({
    name: agentCallWorkflowName(agent.name),
    description: `Calls the agent ${agent.name} for a caller outside the process.`,
    input: agent.input,
    output: agent.output,
    ...(budget ? { budget } : {}),
    run: (input, ctx) => ctx.call(agent, input),
  });
}
