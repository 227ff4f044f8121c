import type { EvalReport } from "./eval-report.ts";
import { labelOf } from "./scorers.ts";

/** An example whose verdict differs between two evaluations of the same dataset. */
export interface ChangedExample {
  line: number;
  expected: string;
  baseline: { answer: string | null; correct: boolean };
  candidate: { answer: string | null; correct: boolean };
}

/** Two evaluations side by side: typically the same router on two model versions. */
export interface EvalComparison {
  baseline: EvalReport;
  candidate: EvalReport;
  /** Whether both read the same file content (sha256): only then are examples compared one by one. */
  sameDataset: boolean;
  /** candidate accuracy − baseline accuracy. */
  accuracyDelta: number;
  /** Per-class F1 of each, over the labels of both (null where a side has no figure). */
  classes: Array<{ label: string; baselineF1: number | null; candidateF1: number | null }>;
  /** Examples that went from right to wrong or wrong to right, in dataset order (empty unless `sameDataset`). */
  changed: ChangedExample[];
  /** Mean cost per example of each, rounded up to a whole micro-unit. */
  costPerExampleMicros: { baseline: number; candidate: number };
}

export function compareEvaluations(baseline: EvalReport, candidate: EvalReport): EvalComparison {
  const sameDataset = baseline.evaluation.datasetSha256 === candidate.evaluation.datasetSha256;
  const f1 = (report: EvalReport) => new Map((report.figures?.classes ?? []).map((row) => [row.label, row.f1]));
  const [baselineF1, candidateF1] = [f1(baseline), f1(candidate)];
  const labels = [...new Set([...baselineF1.keys(), ...candidateF1.keys()])].sort();
  const candidateByLine = new Map(candidate.examples.map((example) => [example.line, example]));
  const answer = (example: EvalReport["examples"][number]) => example.predicted ?? (example.error ? `error ${example.error.code}` : example.reason);
  const changed = sameDataset
    ? baseline.examples.flatMap((before) => {
        const after = candidateByLine.get(before.line);
        if (!after || after.correct === before.correct) return [];
        return [{ line: before.line, expected: labelOf(before.expected), baseline: { answer: answer(before), correct: before.correct }, candidate: { answer: answer(after), correct: after.correct } }];
      })
    : [];
  const perExample = (report: EvalReport) => (report.evaluation.scored === 0 ? 0 : Math.ceil(report.evaluation.spentMicros / report.evaluation.scored));
  return {
    baseline,
    candidate,
    sameDataset,
    accuracyDelta: candidate.accuracy - baseline.accuracy,
    classes: labels.map((label) => ({ label, baselineF1: baselineF1.get(label) ?? null, candidateF1: candidateF1.get(label) ?? null })),
    changed,
    costPerExampleMicros: { baseline: perExample(baseline), candidate: perExample(candidate) },
  };
}
