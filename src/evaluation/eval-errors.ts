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
  constructor(details: EvalDatasetProblem, options: Omit<CadreErrorOptions, "details"> = {}) {
    const where = details.line === null ? details.dataset : `${details.dataset} line ${details.line}`;
    super("EVAL_DATASET_INVALID", `${where}: ${details.problem}. Each line of a labelled dataset is one JSON object: {"input": ..., "expected": ...}.`, { ...options, details: { ...details } });
  }
}

/** An evaluation id that the store does not hold. */
export class UnknownEvalError extends CadreError {
  constructor(details: { evalId: string }, options: Omit<CadreErrorOptions, "details"> = {}) {
    super("UNKNOWN_EVAL", `No evaluation "${details.evalId}" in this store; list them with: cadre eval list`, { ...options, details: { ...details } });
  }
}
