import type { Agent, AgentTools } from "../agent/define-agent.ts";
import type { AgentModel, ModelRequest, ModelTurn } from "../agent/model-turn.ts";
import { runStep } from "../engine/run-step.ts";
import type { Scope } from "../engine/scope.ts";
import { ConfigurationError } from "../errors.ts";
import type { Tool } from "../governance/define-tool.ts";
import { costOf, estimateTokens, worstCaseCost } from "../models/pricing.ts";
import type { RunState } from "./context.ts";
import { callModel } from "./model-call.ts";
import { parseInput, parseOutput } from "./validate.ts";

/** Model calls of a model-backed agent: each a journaled step that reserves its worst case and settles its usage. */
export function agentModel(state: RunState, agent: Agent, agentStepKey: string, scope: Scope, signal: AbortSignal): AgentModel | undefined {
  const binding = state.models.get(agent.name);
  if (!binding) return undefined;
  const { resolved, price } = binding;
  return {
    id: resolved.id,
    generate: (request: ModelRequest): Promise<ModelTurn> => {
      const { position, key } = scope.next("model");
      return runStep(
        { runId: state.runId, journal: state.journal, events: state.events, signal, now: state.now },
        {
          position,
          key,
          name: "model",
          type: "model",
          agent: agent.name,
          input: { model: resolved.id, ...request },
          retry: { maxAttempts: 2, initialDelayMs: 250 },
          hooks: state.gateway.effectHooks({
            agent,
            agentStepKey,
            stepKey: key,
            subject: `model:${resolved.id}`,
            worstCase: () => worstCaseCost(price, { estimatedInputTokens: estimateTokens([request.system, ...request.messages]), maxOutputTokens: request.maxOutputTokens }),
            actual: (output) => {
              const { usage } = output as ModelTurn;
              return { costMicros: costOf(price, usage), units: { model: resolved.id, ...usage } };
            },
          }),
          execute: (attempt) => callModel({ model: resolved.model, modelId: resolved.id, request, tools: agent.tools ?? [], signal: attempt.signal }),
        },
      );
    },
  };
}

/** Logs and audits an output whose `confidence` is under the agent's threshold. */
export function flagLowConfidence(state: RunState, agent: Agent, stepKey: string, output: unknown): void {
  const confidence = (output as { confidence?: unknown } | null)?.confidence;
  if (agent.confidenceThreshold === undefined || typeof confidence !== "number" || confidence >= agent.confidenceThreshold) return;
  state.logger.warn(`agent ${agent.name} answered with confidence ${confidence} below its threshold ${agent.confidenceThreshold}`, { stepKey });
  state.gateway.record("confidence.low", { stepKey, agent: agent.name, data: { confidence, threshold: agent.confidenceThreshold } }).catch(() => {});
}

/** An agent's tools: each call a journaled step through the gateway (grant, budget, audit) and the tool's guard. */
export function agentTools(state: RunState, agent: Agent, agentStepKey: string, scope: Scope, signal: AbortSignal): AgentTools {
  const call = (toolOrName: Tool | string, input: unknown): Promise<unknown> => {
    const name = typeof toolOrName === "string" ? toolOrName : toolOrName.name;
    const tool = agent.tools?.find((candidate) => candidate.name === name);
    const { position, key } = scope.next(name);
    const toolGuard = tool ? state.guards.for(`tool:${tool.name}`, tool) : undefined;
    if (!tool) {
      return Promise.reject(
        new ConfigurationError(`Agent "${agent.name}" called tool "${name}" but does not declare it: add it to the agent's tools.`, {
          details: { agent: agent.name, tool: name, runId: state.runId, stepKey: key },
        }),
      );
    }
    return runStep(
      { runId: state.runId, journal: state.journal, events: state.events, signal, now: state.now },
      {
        position,
        key,
        name: tool.name,
        type: "tool",
        agent: agent.name,
        input,
        timeoutMs: tool.timeout,
        hooks: state.gateway.toolCallHooks({ agent, agentStepKey, stepKey: key, tool, input }),
        guard: toolGuard ? (work, attempt) => toolGuard.run(work, attempt) : undefined,
        execute: async (attempt) => {
          const parsed = parseInput(tool.input, input, `tool "${tool.name}"`);
          const output = await tool.run(parsed, { signal: attempt.signal, idempotencyKey: attempt.idempotencyKey, agent: agent.name, runId: state.runId, stepKey: key });
          return parseOutput(tool.output, output, `tool "${tool.name}"`);
        },
      },
    );
  };
  return { call } as AgentTools;
}
