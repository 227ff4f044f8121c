import type { Agent } from "../../agent/define-agent.ts";
import type { WorkflowContext } from "../context.ts";

export interface GateOptions<T> {
  threshold: number;
  /** Reviews a low-confidence output and returns a corrected one. */
  critic?: Agent<any, T>;
  /** Or ask a person: the run waits for `cadre approve <run> <approval>`. */
  approval?: string;
}

/**
 * Confidence gate: an output whose `confidence` is under the threshold does not flow
 * downstream as is. It goes to a critic (whose answer replaces it) or to a human approval
 * (a rejection throws). Seed 003's defence against hallucination propagation.
 */
export async function gate<T extends { confidence?: number }>(ctx: WorkflowContext, output: T, options: GateOptions<T>): Promise<{ output: T; gated: false } | { output: T; gated: true; via: "critic" | "approval" }> {
  if ((output.confidence ?? 0) >= options.threshold) return { output, gated: false };
  await ctx.record("confidence.gate", { confidence: output.confidence ?? null, threshold: options.threshold, via: options.critic ? "critic" : "approval" });
  if (options.critic) return { output: await ctx.call(options.critic, output), gated: true, via: "critic" };
  await ctx.approval(options.approval ?? "low-confidence", { request: { output, threshold: options.threshold } });
  return { output, gated: true, via: "approval" };
}
