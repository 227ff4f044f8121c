import type { Agent } from "../../agent/define-agent.ts";
import { ModelBehaviourError } from "../../models/model-errors.ts";
import type { WorkflowContext } from "../context.ts";

/** What a classifier agent must answer. */
export interface Classification {
  route: string;
  confidence?: number;
  reason?: string;
}

export interface RouteOptions {
  /** Used when the classifier picks an unknown route or is below `minConfidence`. */
  fallback?: string;
  minConfidence?: number;
}

/**
 * Router/classifier: a (typically cheap, fast-tier) classifier picks the route, the chosen
 * agent handles the input. The classification and its confidence are journaled (the
 * classifier's step) and audited as `route.decision`, so misroutes can be found later.
 */
export async function route<I, O>(ctx: WorkflowContext, classifier: Agent<any, Classification>, routes: Record<string, Agent<any, O>>, input: I, options: RouteOptions = {}): Promise<{ route: string; classification: Classification; output: O }> {
  const classification = await ctx.call(classifier, input);
  const lowConfidence = options.minConfidence !== undefined && (classification.confidence ?? 0) < options.minConfidence;
  const chosen = !routes[classification.route] || lowConfidence ? options.fallback : classification.route;
  await ctx.record("route.decision", { classifier: classifier.name, ...classification, chosen: chosen ?? null, lowConfidence });
  if (!chosen || !routes[chosen]) {
    throw new ModelBehaviourError({
      code: "INVALID_OUTPUT",
      message: `Classifier "${classifier.name}" chose route "${classification.route}", which is not one of ${Object.keys(routes).join(", ")}, and no fallback is set.`,
      classification,
      routes: Object.keys(routes),
    });
  }
  return { route: chosen, classification, output: await ctx.call(routes[chosen]!, input) };
}
