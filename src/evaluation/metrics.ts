/** What a scored example contributes to the classification figures: the label it should have had and the one it got (null: no answer). */
export interface LabelPair {
  expected: string;
  predicted: string | null;
}

/** Precision, recall and F1 of one class; a figure with nothing to divide by (no prediction, no example) is null, not 0. */
export interface ClassFigures {
  label: string;
  /** Examples whose expected label is this one. */
  support: number;
  /** Answers that gave this label. */
  predicted: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** Counts by expected label (rows) and predicted label (columns), in the order of `labels`; `noAnswer` counts examples that gave none. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
  noAnswer: number[];
}

export interface ClassificationFigures {
  total: number;
  /** Examples whose predicted label equals the expected one. */
  correct: number;
  accuracy: number;
  classes: ClassFigures[];
  /** The unweighted mean of the classes' F1 (classes with an F1 only). */
  macroF1: number | null;
  confusion: ConfusionMatrix;
}

/**
 * Accuracy, per-class precision / recall / F1 and the confusion matrix of a classifier's
 * answers. Labels are ordered alphabetically so two evaluations of the same dataset line up.
 * An example that gave no answer (its run failed) is wrong and a false negative of its class.
 */
export function classificationFigures(pairs: readonly LabelPair[]): ClassificationFigures {
  const labels = [...new Set(pairs.flatMap((pair) => (pair.predicted === null ? [pair.expected] : [pair.expected, pair.predicted])))].sort();
  const position = new Map(labels.map((label, index) => [label, index]));
  const counts = labels.map(() => labels.map(() => 0));
  const noAnswer = labels.map(() => 0);
  for (const pair of pairs) {
    const row = position.get(pair.expected)!;
    if (pair.predicted === null) noAnswer[row]! += 1;
    else counts[row]![position.get(pair.predicted)!]! += 1;
  }
  const classes = labels.map((label, index) => classFigures(label, index, counts, noAnswer));
  const correct = classes.reduce((sum, figures) => sum + figures.truePositives, 0);
  const f1s = classes.flatMap((figures) => (figures.f1 === null ? [] : [figures.f1]));
  return {
    total: pairs.length,
    correct,
    accuracy: pairs.length === 0 ? 0 : correct / pairs.length,
    classes,
    macroF1: f1s.length === 0 ? null : f1s.reduce((sum, f1) => sum + f1, 0) / f1s.length,
    confusion: { labels, counts, noAnswer },
  };
}

function classFigures(label: string, index: number, counts: number[][], noAnswer: number[]): ClassFigures {
  const truePositives = counts[index]![index]!;
  const support = counts[index]!.reduce((sum, count) => sum + count, 0) + noAnswer[index]!;
  const predicted = counts.reduce((sum, row) => sum + row[index]!, 0);
  const precision = predicted === 0 ? null : truePositives / predicted;
  const recall = support === 0 ? null : truePositives / support;
  const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { label, support, predicted, truePositives, precision, recall, f1 };
}
