import type { Agent } from "../agent/define-agent.ts";
import { ConfigurationError } from "../errors.ts";
import type { Workflow } from "./define-workflow.ts";

/** The protocols an exposed workflow or agent is offered over. */
export type ExposureProtocol = "mcp" | "a2a";

/** How one workflow or agent is offered to callers outside the process. */
export interface ExposeOptions {
  /** What callers read (MCP tool description, A2A skill description); default: the workflow's or agent's own. */
  description?: string;
  /** Micro-units a caller pays per call over HTTP (x402); default 0: free. */
  price?: number;
  /** The protocols it is offered over (default: all). */
  via?: ExposureProtocol[];
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

/** One exposed workflow or agent, resolved against the runtime's definitions. */
export type ExposedTarget =
  | { kind: "workflow"; name: string; description: string; price: number; via: ExposureProtocol[]; workflow: Workflow }
  | { kind: "agent"; name: string; description: string; price: number; via: ExposureProtocol[]; agent: Agent };

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
    targets.push({ kind: "agent", name, agent, ...settings(options, `expose.agents.${name}`, agent.purpose) });
  }
  return targets;
}

function settings(options: ExposeOptions, field: string, fallback: string): { description: string; price: number; via: ExposureProtocol[] } {
  const price = options.price ?? 0;
  if (!Number.isSafeInteger(price) || price < 0) throw new ConfigurationError({ message: `${field}.price must be a whole number of micro-units ≥ 0, not ${String(options.price)}.`, field: `${field}.price` });
  const via = options.via ?? protocols;
  for (const protocol of via) {
    if (!protocols.includes(protocol)) throw new ConfigurationError({ message: `${field}.via holds "${String(protocol)}"; the protocols are ${protocols.join(" and ")}.`, field: `${field}.via` });
  }
  return { description: options.description ?? fallback, price, via };
}
