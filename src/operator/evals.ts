import { InputValidationError } from "../errors.ts";
import { UnknownEvalError } from "../evaluation/eval-errors.ts";
import { getEvalRun, listEvalExamples, listEvalRuns, type EvalRunRecord } from "../evaluation/eval-records.ts";
import { compareEvaluations, type EvalComparison } from "../evaluation/eval-comparison.ts";
import { buildEvalReport, type EvalReport } from "../evaluation/eval-report.ts";
import { maxPageSize } from "./runs.ts";
import type { OperatorContext } from "./operator-context.ts";

/** Stored evaluations (`cadre eval`): listed newest first, and each one again with its examples and figures. */
export class EvalOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Evaluations newest first, of one target with `target`: their accuracy and the models each agent ran on, side by side. */
  list(options: { target?: string; limit?: number } = {}): Promise<EvalRunRecord[]> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) throw new InputValidationError({ message: `The page size must be an integer from 1 to ${maxPageSize}; got ${limit}.`, limit });
    return listEvalRuns(this.#context.store.db, { target: options.target, limit });
  }

  /** One evaluation with its examples, accuracy, per-class figures and confusion matrix. UNKNOWN_EVAL for an id the store does not hold. */
  async get(evalId: string): Promise<EvalReport> {
    const db = this.#context.store.db;
    const evaluation = await getEvalRun(db, evalId);
    if (!evaluation) throw new UnknownEvalError({ evalId });
    return buildEvalReport(evaluation, await listEvalExamples(db, evalId));
  }

  /** Two stored evaluations side by side (say, one router on two model versions): accuracy, per-class F1, the examples whose verdict changed, cost. */
  async compare(baselineId: string, candidateId: string): Promise<EvalComparison> {
    return compareEvaluations(await this.get(baselineId), await this.get(candidateId));
  }
}
