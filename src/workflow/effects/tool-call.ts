import type { Agent } from "../../agent/define-agent.ts";
import { priceOf, resourceOf, type Tool } from "../../governance/define-tool.ts";
import type { AgentCallFrame, GovernedAgent, GovernedEffect } from "../../governance/gateway.ts";
import type { RunState } from "../run-state.ts";
import { parseInput, parseOutput } from "../validate.ts";
import type { Effect } from "./effect.ts";

/** What the gateway checks and charges for a tool call: a grant for the tool's scope and resource, the tool's price. */
export function toolGovernance<I, O>(options: { agent: GovernedAgent; within: AgentCallFrame; tool: Tool<I, O>; input: I }): GovernedEffect {
  const { tool, input } = options;
  return {
    name: tool.name,
    agent: options.agent,
    within: options.within,
    permission: { scope: tool.scope, resource: resourceOf(tool, input) },
    policy: {
      action: "tool",
      principal: { type: "Agent", agent: options.agent },
      resource: { type: "Tool", name: tool.name, scope: tool.scope, resource: resourceOf(tool, input), dataClass: tool.dataClass, region: tool.region },
    },
    price: { subject: `tool:${tool.name}`, worstCase: () => priceOf(tool, input), actual: (output) => ({ costMicros: priceOf(tool, input, output as O), units: { calls: 1 } }) },
  };
}

/** A tool call by an agent: needs a grant for the tool's scope, pays the tool's price from the agent call's account. */
export function toolCall<I, O>(state: RunState, options: { agent: Agent; within: AgentCallFrame; tool: Tool<I, O>; input: I }): Effect<O> {
  const { agent, tool, input } = options;
  return {
    ...toolGovernance(options),
    type: "tool",
    input,
    guard: state.guards.for(`tool:${tool.name}`, tool),
    timeoutMs: tool.timeout,
    execute: async (attempt, step) => {
      const parsed = parseInput(tool.input, input, `tool "${tool.name}"`);
      const output = await tool.run(parsed, { signal: attempt.signal, idempotencyKey: attempt.idempotencyKey, agent: agent.name, runId: state.runId, stepKey: step.key, ...(step.traceparent ? { traceparent: step.traceparent } : {}) });
      return parseOutput(tool.output, output, `tool "${tool.name}"`);
    },
  };
}
