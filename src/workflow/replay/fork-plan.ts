import type { Agent } from "../../agent/define-agent.ts";
import type { JournalEntry } from "../../engine/journal.ts";
import { positionOf } from "../../engine/scope.ts";
import { CadreError } from "../../errors.ts";
import { parseOutput } from "../validate.ts";
import { ForkInvalidError, UnknownStepError } from "./replay-errors.ts";

/** What a fork copies from its parent run. */
export interface ForkPlan {
  /** The step the fork executes again from (and everything after it). */
  from: JournalEntry;
  /** Keys of the parent's completed steps copied into the fork, in journal order. */
  copied: string[];
  /** Outputs that replace the copied ones, by key. */
  outputs: Map<string, unknown>;
}

/**
 * Decides which steps of `parent` a fork reuses: every completed step that began strictly
 * before the fork point (in journal order), except the steps the fork point is inside (an
 * agent call containing it runs again, its earlier tool calls are reused). `from` and the
 * keys of `overrides` are step keys (`3:scoring`) or positions (`3`).
 */
export function planFork(options: { runId: string; entries: JournalEntry[]; from: string; overrides: Record<string, unknown>; agents: ReadonlyMap<string, Agent> }): ForkPlan {
  const { runId, entries } = options;
  const find = (key: string) => entries.find((entry) => entry.key === key) ?? entries.find((entry) => positionOf(entry.key) === key);
  const from = find(options.from);
  if (!from) throw new UnknownStepError({ runId, stepKey: options.from, known: entries.map((entry) => entry.key) });
  const fromPosition = positionOf(from.key);
  const index = entries.indexOf(from);
  const copied = entries
    .slice(0, index)
    .filter((entry) => entry.status === "completed" && !fromPosition.startsWith(`${positionOf(entry.key)}.`))
    .map((entry) => entry.key);

  const outputs = new Map<string, unknown>();
  for (const [key, value] of Object.entries(options.overrides)) {
    const entry = find(key);
    if (!entry) throw new UnknownStepError({ runId, stepKey: key, known: entries.map((candidate) => candidate.key) });
    if (!copied.includes(entry.key)) {
      const why = entry.status !== "completed" ? `it ${entry.status === "failed" ? "failed" : `is ${entry.status}`} in run ${runId}, so the fork runs it again` : `it is not before the fork point ${from.key}, so the fork runs it again`;
      throw new ForkInvalidError({ runId, stepKey: from.key, reason: `--override ${entry.key} cannot be applied: ${why}. Override only steps that completed before the fork point.` });
    }
    outputs.set(entry.key, checkedOutput(entry, value, options.agents, { runId, from: from.key }));
  }
  return { from, copied, outputs };
}

/** An overriding output must be one the step could have returned: an agent's is checked against its output schema. */
function checkedOutput(entry: JournalEntry, value: unknown, agents: ReadonlyMap<string, Agent>, where: { runId: string; from: string }): unknown {
  const agent = entry.type === "agent" ? agents.get(entry.name) : undefined;
  if (!agent) return value;
  try {
    return parseOutput(agent.output, value, `agent "${agent.name}"`);
  } catch (error) {
    const message = CadreError.is(error) ? error.message : String(error);
    throw new ForkInvalidError({ runId: where.runId, stepKey: where.from, reason: `the override of step ${entry.key} is not an output agent "${agent.name}" could return: ${message}` });
  }
}
