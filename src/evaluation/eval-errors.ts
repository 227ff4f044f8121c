import { CadreError, type CadreErrorOptions } from "../errors.ts";

/** What is wrong with a labelled dataset, and where. */
export interface EvalDatasetProblem {
  /** The dataset file (as given). */
  dataset: string;
  /** The 1-based line of the file, or null for a problem with the whole file. */
  line: number | null;
  problem: string;
}

/** A labelled dataset that cannot be evaluated: a line that is not `{ "input": ..., "expected": ... }`, or no examples at all. Nothing was run. */
export class EvalDatasetError extends CadreError {
  constructor(details: EvalDatasetProblem, options?: CadreErrorOptions) {
    const where = details.line === null ? details.dataset : `${details.dataset} line ${details.line}`;
    const fix = 'Each line of a labelled dataset is one JSON object: {"input": ..., "expected": ...}.';
    super("EVAL_DATASET_INVALID", `${where}: ${details.problem}. ${fix}`, { ...options, details: { ...details, fix } });
  }
}

/** An evaluation id that the store does not hold. */
export class UnknownEvalError extends CadreError {
  constructor(details: { evalId: string }, options?: CadreErrorOptions) {
    const fix = "List the evaluations there are with: cadre eval list";
    super("UNKNOWN_EVAL", `No evaluation "${details.evalId}" in this store. ${fix}`, { ...options, details: { ...details, fix } });
  }
}

/** What `evaluate` was asked to run that the runtime does not have: the target (neither a workflow nor an agent) or the judge agent. */
export class UnknownEvalTargetError extends CadreError {
  constructor(details: { target: string; role: "target" | "judge"; workflows: string[]; agents: string[] }, options?: CadreErrorOptions) {
    const agents = details.agents.join(", ") || "none";
    const fix = details.role === "judge" ? `Name one of its agents: ${agents}.` : `Name one of its workflows (${details.workflows.join(", ") || "none"}) or agents (${agents}).`;
    const what = details.role === "judge" ? `The judge "${details.target}" is not an agent of this runtime.` : `Nothing to evaluate is named "${details.target}": it is neither a workflow nor an agent of this runtime.`;
    super(details.role === "judge" ? "UNKNOWN_AGENT" : "UNKNOWN_WORKFLOW", `${what} ${fix}`, { ...options, details: { ...details, fix } });
  }
}
