import type { EvalExampleRecord, EvalRunRecord } from "./eval-records.ts";
import { classificationFigures, type ClassificationFigures } from "./metrics.ts";
import { labelOf } from "./scorers.ts";

/** An evaluation with its examples and figures: what `cadre eval` prints and `cadre eval show` reprints. */
export interface EvalReport {
  evaluation: EvalRunRecord;
  examples: EvalExampleRecord[];
  /** correct ÷ examples scored: an example without an answer is wrong (an interrupted evaluation counts the examples it ran). */
  accuracy: number;
  /** Per-class figures and the confusion matrix, for scorers that classify (exact, json-field); null for regex and judge. */
  figures: ClassificationFigures | null;
  /** Whether the accuracy reached `minAccuracy`; null when none was asked for, or the evaluation did not complete. */
  passed: boolean | null;
}

/** Builds the report from the stored records, so a stored evaluation reads exactly as it did when it ran. */
export function buildEvalReport(evaluation: EvalRunRecord, examples: EvalExampleRecord[]): EvalReport {
  const correct = examples.filter((example) => example.correct).length;
  const accuracy = examples.length === 0 ? 0 : correct / examples.length;
  const classifying = evaluation.scorer === "exact" || evaluation.scorer === "json-field";
  const figures = classifying ? classificationFigures(examples.map((example) => ({ expected: labelOf(example.expected), predicted: example.predicted }))) : null;
  return { evaluation, examples, accuracy, figures, passed: evaluation.minAccuracy === null || evaluation.status !== "completed" ? null : accuracy >= evaluation.minAccuracy };
}
