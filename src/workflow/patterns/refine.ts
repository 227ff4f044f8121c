import type { Agent } from "../../agent/define-agent.ts";
import { ConfigurationError } from "../../errors.ts";
import type { WorkflowContext } from "../context.ts";

export interface Critique {
  score: number;
  feedback: string;
}

/** What the producer receives each round: the task and the critic's last feedback (null in round 1). */
export interface RefineProducerInput<I> {
  task: I;
  feedback: string | null;
  round: number;
}

/** What the critic receives each round. */
export interface RefineCriticInput<I, D> {
  task: I;
  draft: D;
  round: number;
}

export interface RefineOptions<I, D> {
  /** Produces a draft (`RefineProducerInput`): any agent, code or model-backed. */
  producer: Agent<any, D>;
  /** Scores a draft (`RefineCriticInput`) as `{ score, feedback }`: any agent, code or model-backed. */
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
    throw new ConfigurationError({ message: `refine() needs an integer maxRounds ≥ 1 (got ${options.maxRounds}): a critic loop must have a hard cap.`, pattern: "refine", producer: options.producer.name, critic: options.critic.name, maxRounds: options.maxRounds });
  }
  let feedback: string | null = null;
  let last: RefineResult<D> | undefined;
  for (let round = 1; round <= options.maxRounds; round += 1) {
    const output: D = await ctx.call(options.producer, { task: options.input, feedback, round } satisfies RefineProducerInput<I>);
    const critique: Critique = await ctx.call(options.critic, { task: options.input, draft: output, round } satisfies RefineCriticInput<I, D>);
    last = { accepted: options.accept(critique, round), rounds: round, output, critique };
    if (last.accepted) break;
    feedback = critique.feedback;
  }
  await ctx.record("refine.end", { producer: options.producer.name, critic: options.critic.name, accepted: last!.accepted, rounds: last!.rounds, score: last!.critique.score, maxRounds: options.maxRounds });
  return last!;
}
