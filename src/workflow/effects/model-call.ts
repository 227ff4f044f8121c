import type { Agent } from "../../agent/define-agent.ts";
import type { ModelRequest, ModelTurn } from "../../models/model-turn.ts";
import type { AgentCallFrame } from "../../governance/gateway.ts";
import { costOf, estimateTokens, worstCaseCost } from "../../models/pricing.ts";
import { StreamedUsage } from "../../models/streamed-usage.ts";
import type { AgentModelBinding } from "../model-bindings.ts";
import { callModel, streamModel } from "../../models/generate.ts";
import type { Effect } from "./effect.ts";

/**
 * One model call of a model-backed agent: reserves its worst case (estimated input, max output
 * tokens) and settles its usage. A text answer is streamed: each piece goes to `onText` as it
 * arrives (the runtime forwards it as a `model-delta` event), and an attempt that ends early
 * is charged for the tokens that had arrived (see StreamedUsage). A structured answer (an
 * object schema sent as the response format) is not streamed: its pieces are JSON fragments
 * no reader wants, and the answer is only usable once it parses.
 */
export function modelCall(options: {
  agent: Agent;
  within: AgentCallFrame;
  binding: AgentModelBinding;
  request: ModelRequest;
  onText?: (text: string, step: { key: string; attempt: number }) => void;
}): Effect<ModelTurn> {
  const { agent, request } = options;
  const { resolved, price } = options.binding;
  const estimatedInputTokens = estimateTokens([request.system, ...request.messages]);
  const streamed = new Map<number, StreamedUsage>();
  const priced = (usage: ModelTurn["usage"]) => ({ costMicros: costOf(price, usage), units: { model: resolved.id, ...usage } });
  return {
    type: "model",
    name: "model",
    input: { model: resolved.id, ...request },
    agent,
    within: options.within,
    policy: { action: "model", principal: { type: "Agent", agent }, resource: { type: "Model", id: resolved.id, provider: resolved.provider, region: resolved.region } },
    price: {
      subject: `model:${resolved.id}`,
      worstCase: () => worstCaseCost(price, { estimatedInputTokens, maxOutputTokens: request.maxOutputTokens }),
      actual: (output) => priced((output as ModelTurn).usage),
      used: (attempt) => {
        const usage = streamed.get(attempt)?.used();
        return usage ? priced(usage) : undefined;
      },
    },
    // Rate limits and 5xx answers often pass on a second try; the step's key stays the same.
    retry: { maxAttempts: 2, initialDelayMs: 250 },
    execute: (attempt, step) => {
      const call = { model: resolved.model, modelId: resolved.id, request, tools: agent.tools ?? [], signal: attempt.signal };
      if (request.answerSchema || !options.onText) return callModel(call);
      const usage = new StreamedUsage(estimatedInputTokens);
      streamed.set(attempt.attempt, usage);
      const onText = options.onText;
      return streamModel({ ...call, usage, onText: (text) => onText(text, { key: step.key, attempt: attempt.attempt }) });
    },
  };
}
