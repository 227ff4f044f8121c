import type { Agent } from "../agent/define-agent.ts";
import { resolveModel, type ModelConfig, type ResolvedModel } from "../models/model-registry.ts";
import { priceFor } from "../models/pricing.ts";
import type { ModelPrice } from "../models/prices.ts";

/** A model-backed agent's resolved model and its price. */
export interface AgentModelBinding {
  resolved: ResolvedModel;
  price: ModelPrice;
}

/** Resolves every model-backed agent's model and price, so a missing key or price fails at start, not mid-run. */
export async function bindModels(agents: Agent[], config: ModelConfig = {}): Promise<Map<string, AgentModelBinding>> {
  const bindings = new Map<string, AgentModelBinding>();
  for (const agent of agents) {
    if (!agent.model) continue;
    const resolved = await resolveModel(agent.model, config);
    bindings.set(agent.name, { resolved, price: priceFor(resolved.id, config.prices) });
  }
  return bindings;
}
