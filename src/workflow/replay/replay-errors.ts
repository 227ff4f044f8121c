import { CadreError, type CadreErrorOptions } from "../../errors.ts";
import { brief, type JsonDifference } from "./json-difference.ts";

/** How today's code differs from a run's journal at the first step where they part. */
export type DivergenceKind =
  /** The code asks for a step the journal does not have at that position (a step was added, or the path changed). */
  | "step-added"
  /** The journal has another step at that position (another name or type). */
  | "different-step"
  /** The code passes the step another input than the one journaled. */
  | "input-changed"
  /** Re-executed against the journal, the agent's code now returns another output. */
  | "output-changed"
  /** Re-executed against the journal, the agent's code now fails where it completed. */
  | "now-fails"
  /** The journal has a step the code no longer asks for (the workflow ends earlier, or a step was removed). */
  | "step-missing"
  /** The workflow as a whole ends differently (another output, or another status). */
  | "outcome-changed";

export interface DivergenceDetails {
  runId: string;
  kind: DivergenceKind;
  /** The step where code and journal part: the journaled one when there is one; null for the run's own outcome. */
  stepKey: string | null;
  /** What the journal has there, and what the code asks for now. */
  journaled: string;
  requested: string;
  difference?: JsonDifference;
}

/**
 * Replaying a run found that today's code no longer matches its journal: resuming the run (or
 * any run in flight at that step) with this code would go down another path than the one paid for.
 */
export class ReplayDivergenceError extends CadreError {
  constructor(details: DivergenceDetails, options?: CadreErrorOptions) {
    super("REPLAY_DIVERGED", describe(details), { ...options, details: { ...details } });
  }
}

export function isDivergence(error: unknown): error is ReplayDivergenceError {
  return CadreError.is(error) && error.code === "REPLAY_DIVERGED";
}

function describe(details: DivergenceDetails): string {
  const where = details.stepKey === null ? `Run ${details.runId}` : `Run ${details.runId}, step ${details.stepKey}`;
  const at = details.difference ? ` at ${details.difference.path}: journaled ${brief(details.difference.journaled)}, now ${brief(details.difference.now)}` : "";
  const what: Record<DivergenceKind, string> = {
    "step-added": `the code now asks for ${details.requested}, which the journal does not have (the journal has ${details.journaled})`,
    "different-step": `the journal has ${details.journaled} but the code now asks for ${details.requested}`,
    "input-changed": `the code now passes ${details.requested} another input than the journal recorded${at}`,
    "output-changed": `re-executed against the journal, ${details.requested} now returns another output${at}`,
    "now-fails": `re-executed against the journal, ${details.requested} now fails: ${details.journaled}`,
    "step-missing": `the journal has ${details.journaled} but the code no longer asks for it (${details.requested})`,
    "outcome-changed": `the workflow now ends differently: the journal's run ${details.journaled}, the replay ${details.requested}${at}`,
  };
  return `${where} diverges from its journal: ${what[details.kind]}. The workflow or agent code changed since the run executed, or it depends on something that is not journaled (time, randomness, outside reads: wrap such code in ctx.step()).`;
}

/** A step key that names no step of the run. */
export class UnknownStepError extends CadreError {
  constructor(details: { runId: string; stepKey: string; known: string[] }, options?: CadreErrorOptions) {
    const known = details.known.length > 0 ? ` Its steps: ${details.known.slice(0, 12).join(", ")}${details.known.length > 12 ? ", …" : ""}.` : " It has no steps.";
    super("UNKNOWN_STEP", `Run ${details.runId} has no step ${details.stepKey}.${known} List them with \`cadre show ${details.runId}\`.`, { ...options, details: { ...details, known: details.known.slice(0, 50) } });
  }
}

/** A fork asked for something that cannot be: an override of a step that is not copied, an output the step could not have returned. */
export class ForkInvalidError extends CadreError {
  constructor(details: { runId: string; stepKey: string; reason: string }, options?: CadreErrorOptions) {
    super("FORK_INVALID", `Cannot fork run ${details.runId} at step ${details.stepKey}: ${details.reason}`, { ...options, details });
  }
}
