import { ConfigurationError } from "../../errors.ts";
import { canonicalJson } from "../../governance/canonical-json.ts";
import type { WorkflowContext } from "../context.ts";

/** One source's answer to the same question. */
export interface Candidate<T> {
  source: string;
  value: T;
  confidence?: number;
  /** When the source observed it (epoch ms). */
  observedAt?: number;
  /** A domain specialist's answer outranks a generalist's. */
  specialist?: boolean;
}

export type ResolutionRule<T> = "prefer-fresher-source" | "prefer-specialist" | "majority" | "highest-confidence" | ((candidates: Array<Candidate<T>>) => Candidate<T>);

export interface Resolution<T> {
  value: T;
  winner: string;
  rule: string;
  conflict: boolean;
}

function pick<T>(candidates: Array<Candidate<T>>, rule: ResolutionRule<T>): Candidate<T> {
  const best = (score: (candidate: Candidate<T>) => number) => candidates.reduce((winner, candidate) => (score(candidate) > score(winner) ? candidate : winner));
  switch (rule) {
    case "prefer-fresher-source":
      return best((candidate) => candidate.observedAt ?? -Infinity);
    case "prefer-specialist":
      return best((candidate) => (candidate.specialist ? 1 : 0) + (candidate.confidence ?? 0) / 10);
    case "highest-confidence":
      return best((candidate) => candidate.confidence ?? 0);
    case "majority": {
      const votes = new Map<string, number>();
      for (const candidate of candidates) votes.set(canonicalJson(candidate.value), (votes.get(canonicalJson(candidate.value)) ?? 0) + 1);
      return best((candidate) => votes.get(canonicalJson(candidate.value))!);
    }
    default:
      return rule(candidates);
  }
}

/**
 * Conflict resolution by an explicit rule. Every use is journaled (as a step, so a resumed
 * run resolves the same way) and, when the sources disagree, audited with every candidate.
 */
export async function resolveConflict<T>(ctx: WorkflowContext, candidates: Array<Candidate<T>>, rule: ResolutionRule<T>): Promise<Resolution<T>> {
  if (candidates.length === 0) throw new ConfigurationError({ message: "resolve() needs at least one candidate: there is nothing to choose from.", pattern: "resolve", rule: typeof rule === "string" ? rule : rule.name || "custom" });
  const ruleName = typeof rule === "string" ? rule : rule.name || "custom";
  const resolution = await ctx.step(`resolve:${ruleName}`, () => {
    const winner = pick(candidates, rule);
    const conflict = new Set(candidates.map((candidate) => canonicalJson(candidate.value))).size > 1;
    return { value: winner.value, winner: winner.source, rule: ruleName, conflict };
  });
  if (resolution.conflict) await ctx.record("conflict.resolved", { rule: ruleName, winner: resolution.winner, candidates: candidates as unknown as Record<string, unknown>[] });
  return resolution;
}
