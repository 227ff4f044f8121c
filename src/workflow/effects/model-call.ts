import type { Agent } from "../../agent/define-agent.ts";
import type { ModelRequest, ModelTurn } from "../../models/model-turn.ts";
import type { AgentCallFrame } from "../../governance/gateway.ts";
import { costOf, estimateTokens, worstCaseCost } from "../../models/pricing.ts";
import type { AgentModelBinding } from "../model-bindings.ts";
import { callModel } from "../../models/generate.ts";
import type { Effect } from "./effect.ts";

/** One model call of a model-backed agent: reserves its worst case (estimated input, max output tokens) and settles its usage. */
export function modelCall(options: { agent: Agent; within: AgentCallFrame; binding: AgentModelBinding; request: ModelRequest }): Effect<ModelTurn> {
  const { agent, request } = options;
  const { resolved, price } = options.binding;
  return {
    type: "model",
    name: "model",
    input: { model: resolved.id, ...request },
    agent,
    within: options.within,
    price: {
      subject: `model:${resolved.id}`,
      worstCase: () => worstCaseCost(price, { estimatedInputTokens: estimateTokens([request.system, ...request.messages]), maxOutputTokens: request.maxOutputTokens }),
      actual: (output) => {
        const { usage } = output as ModelTurn;
        return { costMicros: costOf(price, usage), units: { model: resolved.id, ...usage } };
      },
    },
    // Rate limits and 5xx answers often pass on a second try; the step's key stays the same.
    retry: { maxAttempts: 2, initialDelayMs: 250 },
    execute: (attempt) => callModel({ model: resolved.model, modelId: resolved.id, request, tools: agent.tools ?? [], signal: attempt.signal }),
  };
}
