import type { Agent } from "../../agent/define-agent.ts";
import { ConfigurationError } from "../../errors.ts";
import type { WorkflowContext } from "../context.ts";

export interface Critique {
  score: number;
  feedback: string;
}

export interface RefineOptions<I, D> {
  /** Produces a draft from the task and the last feedback (none in the first round). */
  producer: Agent<any, D>;
  critic: Agent<any, Critique>;
  /** When the critique is good enough. */
  accept: (critique: Critique, round: number) => boolean;
  /** Hard cap on rounds: mandatory, the loop never runs unbounded. */
  maxRounds: number;
  input: I;
}

export interface RefineResult<D> {
  accepted: boolean;
  rounds: number;
  output: D;
  critique: Critique;
}

/** Critic-refiner: produce, critique, refine, until accepted or the hard cap; the result says which. */
export async function refine<I, D>(ctx: WorkflowContext, options: RefineOptions<I, D>): Promise<RefineResult<D>> {
  if (!Number.isInteger(options.maxRounds) || options.maxRounds < 1) {
    throw new ConfigurationError(`refine() needs an integer maxRounds ≥ 1 (got ${options.maxRounds}): a critic loop must have a hard cap.`, {
      details: { pattern: "refine", producer: options.producer.name, critic: options.critic.name, maxRounds: options.maxRounds },
    });
  }
  let feedback: string | null = null;
  let last: RefineResult<D> | undefined;
  for (let round = 1; round <= options.maxRounds; round += 1) {
    const output: D = await ctx.call(options.producer, { task: options.input, feedback, round });
    const critique: Critique = await ctx.call(options.critic, { task: options.input, draft: output, round });
    last = { accepted: options.accept(critique, round), rounds: round, output, critique };
    if (last.accepted) break;
    feedback = critique.feedback;
  }
  await ctx.record("refine.end", { producer: options.producer.name, critic: options.critic.name, accepted: last!.accepted, rounds: last!.rounds, score: last!.critique.score, maxRounds: options.maxRounds });
  return last!;
}
