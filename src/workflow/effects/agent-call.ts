import type { Agent, AgentContext, AgentMemory, AgentTools } from "../../agent/define-agent.ts";
import type { AgentModel, ModelRequest, ModelTurn } from "../../models/model-turn.ts";
import type { Scope } from "../../engine/scope.ts";
import { ConfigurationError } from "../../errors.ts";
import type { Tool } from "../../governance/define-tool.ts";
import { moneyAccountFor, type AgentCallFrame } from "../../governance/gateway.ts";
import type { GrantSpec } from "../../governance/grants.ts";
import type { RetryOptions } from "../../engine/resilience.ts";
import type { RunState } from "../run-state.ts";
import { parseInput, parseOutput } from "../validate.ts";
import { runEffect, type Effect, type EffectSite } from "./effect.ts";
import { modelCall } from "./model-call.ts";
import { toolCall } from "./tool-call.ts";
import type { RecordedApprovalDecision } from "../approvals.ts";
import { ApprovalRejectedError } from "../patterns/suspension.ts";
import { waitDurably } from "../patterns/waiting.ts";
import { isKnowledgeTool } from "../../knowledge/knowledge-tool.ts";
import { knowledgeSearchCall } from "./knowledge-search.ts";
import { agentMemory, rememberWithTool } from "./memory.ts";
import { isRememberTool } from "../../knowledge/memory-tool.ts";

export interface AgentCallOptions {
  /** Overrides the agent's timeout for this call (ms). */
  timeout?: number;
  retry?: RetryOptions;
  /** Just-in-time grants: issued when this call starts, revoked when it ends. */
  grants?: GrantSpec[];
  /** Set when an agent delegates: its grants bound the sub-agent's just-in-time grants. */
  delegatedBy?: { agent: string; stepKey: string };
}

/** How an agent's own delegations run: as calls in the agent's effect scope, finishing even while the run parks. */
export type Delegate = (scope: Scope, signal: AbortSignal) => <I, O, In>(agent: Agent<I, O, In>, input: In, options: AgentCallOptions) => Promise<O>;

/**
 * A call of an agent: authenticated; funds its own sub-account when the agent has a perCall
 * budget; issues its just-in-time grants; runs under the agent's guard, timeout and retry
 * policy. Inside, each tool and model call is an effect of its own, paid from this call.
 */
export function agentCall<I, O, In>(site: EffectSite, options: { agent: Agent<I, O, In>; input: In; call: AgentCallOptions; delegate: Delegate }): Effect<O> {
  const { state } = site;
  const { agent, input, call } = options;
  return {
    type: "agent",
    name: agent.name,
    input,
    agent,
    call: { grants: call.grants, delegatedBy: call.delegatedBy },
    // Who calls: the delegating agent, else the run's workflow.
    policy: {
      action: "agent",
      principal: call.delegatedBy ? { type: "Agent", agent: state.agents.get(call.delegatedBy.agent) ?? { name: call.delegatedBy.agent } } : { type: "Workflow", name: state.workflow },
      resource: { type: "Agent", agent },
      amountMicros: agent.budget?.perCall ?? 0,
    },
    guard: state.guards.for(`agent:${agent.name}`, agent),
    timeoutMs: call.timeout ?? (() => state.timeouts.timeoutFor(agent.name, agent.timeout)),
    retry: call.retry ?? agent.retry,
    execute: async (attempt, step) => {
      const parsed = parseInput(agent.input, input, `agent "${agent.name}"`);
      // A fresh scope per attempt: a retried agent replays the tool and model calls that completed.
      const effects = site.scope.child(step.position, "t");
      const within: AgentCallFrame = { stepKey: step.key, moneyAccount: moneyAccountFor(state.runId, agent, step.key) };
      const inner: EffectSite = { state, scope: effects, signal: attempt.signal };
      const delegate = options.delegate(effects, attempt.signal);
      const memory = agentMemory(inner, agent, within);
      const context: AgentContext = {
        signal: attempt.signal,
        goal: state.goal,
        idempotencyKey: attempt.idempotencyKey,
        runId: state.runId,
        stepKey: step.key,
        attempt: attempt.attempt,
        // The agent's lines carry its step and name, so they join with the journal and the audit trail.
        logger: state.logger.child({ stepKey: step.key, agent: agent.name }),
        tools: agentTools(inner, agent, within, memory),
        model: agentModel(inner, agent, within),
        memory,
        call: (subAgent, subInput, subOptions) => delegate(subAgent, subInput, { grants: subOptions?.grants, delegatedBy: { agent: agent.name, stepKey: step.key } }),
      };
      const output = parseOutput(agent.output, await agent.run(parsed, context), `agent "${agent.name}"`);
      flagLowConfidence(state, agent, step.key, output);
      return output;
    },
  };
}

/** The agent has to be the one registered under its name: its grants, budget and inventory entry are that one's. */
export function unregisteredAgent(state: RunState, agent: Agent): ConfigurationError | undefined {
  const registered = state.agents.get(agent.name);
  if (registered === agent || registered?.run === agent.run) return undefined;
  return new ConfigurationError({ message: `Agent "${agent.name}" is not registered with this runtime.`, fix: "Add it to Runtime.open({ agents }) or to the agents of cadre.config.ts.", agent: agent.name, runId: state.runId });
}

/** An agent's tools: by definition or by name, each call a tool-call effect. */
function agentTools(site: EffectSite, agent: Agent, within: AgentCallFrame, memory: AgentMemory | undefined): AgentTools {
  const call = (toolOrName: Tool | string, input: unknown): Promise<unknown> => {
    const name = typeof toolOrName === "string" ? toolOrName : toolOrName.name;
    const tool = agent.tools?.find((candidate) => candidate.name === name);
    if (!tool) {
      const { key } = site.scope.next(name);
      return Promise.reject(
        new ConfigurationError({ message: `Agent "${agent.name}" called tool "${name}" but does not declare it: add it to the agent's tools.`, agent: agent.name, tool: name, runId: site.state.runId, stepKey: key }),
      );
    }
    if (isKnowledgeTool(tool)) return knowledgeSearchCall(site, { agent, within, tool, input });
    if (isRememberTool(tool)) return rememberWithTool(site, { agent, tool, input, memory });
    if (!needsApproval(tool, input)) return runEffect(site, toolCall(site.state, { agent, within, tool, input }));
    return approveToolCall(site, agent, tool, input).then(() => runEffect(site, toolCall(site.state, { agent, within, tool, input })));
  };
  return { call } as AgentTools;
}

/** Whether this call of the tool waits for a person: always, or when its predicate picks the input (an input the tool would refuse needs no one). */
function needsApproval(tool: Tool, input: unknown): boolean {
  if (typeof tool.needsApproval !== "function") return tool.needsApproval === true;
  const parsed = tool.input.safeParse(input);
  return parsed.success && tool.needsApproval(parsed.data);
}

/**
 * Parks the run on an approval named `tool:<tool>` before the call, the request naming the
 * agent, the tool and the input; journaled like `ctx.approval`, so `cadre approve|reject`, the
 * operator API and the HTTP API decide it and a resume finds the decision at the same key.
 * A rejection throws APPROVAL_REJECTED, which a model-backed agent's loop hands the model as
 * the tool's result: it can answer without the tool or try another way.
 */
async function approveToolCall(site: EffectSite, agent: Agent, tool: Tool, input: unknown): Promise<void> {
  const { state } = site;
  const name = `tool:${tool.name}`;
  const { position, key } = site.scope.next(`approval:${name}`);
  const decision = await waitDurably<RecordedApprovalDecision>(
    { runId: state.runId, journal: state.journal, now: state.now, events: state.events, replay: state.replay, signal: site.signal },
    { position, key, name: `approval:${name}`, type: "approval", request: { request: { agent: agent.name, tool: tool.name, input } }, describe: `approval of tool "${tool.name}" for agent "${agent.name}"` },
  );
  if (!decision.approved) throw new ApprovalRejectedError({ name, stepKey: key, by: decision.by, note: decision.note });
}

/** A model-backed agent's model: each generation a model-call effect. */
function agentModel(site: EffectSite, agent: Agent, within: AgentCallFrame): AgentModel | undefined {
  const binding = site.state.models.get(agent.name);
  if (!binding) return undefined;
  return {
    id: binding.resolved.id,
    generate: (request: ModelRequest): Promise<ModelTurn> =>
      runEffect(
        site,
        modelCall({
          agent,
          within,
          binding,
          request,
          onText: (text, step) => site.state.events.emit("model-delta", { runId: site.state.runId, stepKey: step.key, agent: agent.name, attempt: step.attempt, text }),
        }),
      ),
  };
}

/** Logs and audits an output whose `confidence` is under the agent's threshold. */
function flagLowConfidence(state: RunState, agent: Agent, stepKey: string, output: unknown): void {
  const confidence = (output as { confidence?: unknown } | null)?.confidence;
  if (agent.confidenceThreshold === undefined || typeof confidence !== "number" || confidence >= agent.confidenceThreshold) return;
  state.logger.child({ stepKey, agent: agent.name }).warn(`agent ${agent.name} answered with confidence ${confidence} below its threshold ${agent.confidenceThreshold}`);
  // A replay writes nothing: the flag was audited when the run executed.
  if (state.replay) return;
  state.gateway.record("confidence.low", { stepKey, agent: agent.name, data: { confidence, threshold: agent.confidenceThreshold } }).catch(() => {});
}

