import type { EvalComparison } from "../evaluation/eval-comparison.ts";
import type { EvalExampleRecord, EvalRunRecord } from "../evaluation/eval-records.ts";
import type { EvalReport } from "../evaluation/eval-report.ts";
import type { ClassificationFigures } from "../evaluation/metrics.ts";
import { labelOf } from "../evaluation/scorers.ts";
import { style } from "./io.ts";
import { formatMoney, formatTime, renderTable } from "./table.ts";

/** A fraction as a percentage with one decimal: 0.8333 → 83.3%. */
export function percent(fraction: number | null): string {
  return fraction === null ? "-" : `${(fraction * 100).toFixed(1)}%`;
}

function figure(value: number | null): string {
  return value === null ? "-" : value.toFixed(3);
}

function tokens(input: number, output: number): string {
  return `${input.toLocaleString("en-US")} / ${output.toLocaleString("en-US")}`;
}

/** The models each agent was charged under, `agent → model`, or "no model calls". */
export function describeModels(models: EvalRunRecord["models"]): string {
  const entries = Object.entries(models);
  return entries.length === 0 ? "no model calls" : entries.map(([agent, ids]) => `${agent} → ${ids.join(", ")}`).join("; ");
}

/** The whole report of one evaluation, for people: header, accuracy, per-class figures, confusion matrix, examples, cost, verdict. */
export function renderEvalReport(report: EvalReport): string {
  const { evaluation, figures } = report;
  const sections = [
    [
      `${style.bold(`eval ${evaluation.id}`)}  ${evaluation.targetKind} ${evaluation.target}  ${formatTime(evaluation.startedAt)}${evaluation.status === "completed" ? "" : `  ${style.yellow(evaluation.status)}`}`,
      `dataset ${evaluation.dataset} (${evaluation.examples} examples, sha256 ${evaluation.datasetSha256.slice(0, 12)})  scorer ${evaluation.scorer}${evaluation.field ? `  field ${evaluation.field}` : ""}`,
      `models ${describeModels(evaluation.models)}`,
    ].join("\n"),
    `accuracy ${style.bold(percent(report.accuracy))} (${report.examples.filter((example) => example.correct).length} of ${evaluation.examples} correct${evaluation.errors > 0 ? `, ${evaluation.errors} without an answer` : ""})${figures?.macroF1 !== undefined && figures.macroF1 !== null ? `  macro F1 ${figure(figures.macroF1)}` : ""}`,
  ];
  if (figures) sections.push(renderClasses(figures), renderConfusion(figures));
  sections.push(renderExamples(report.examples, figures !== null));
  const mean = evaluation.scored === 0 ? 0 : Math.ceil(evaluation.spentMicros / evaluation.scored);
  sections.push(`cost ${formatMoney(evaluation.spentMicros)} (${formatMoney(mean)} per example); tokens ${evaluation.inputTokens.toLocaleString("en-US")} in / ${evaluation.outputTokens.toLocaleString("en-US")} out`);
  if (report.passed !== null) {
    const threshold = percent(evaluation.minAccuracy);
    sections.push(report.passed ? style.green(`passed: accuracy ${percent(report.accuracy)} ≥ ${threshold}`) : style.red(`failed: accuracy ${percent(report.accuracy)} is below --min-accuracy ${threshold}`));
  }
  return `${sections.join("\n\n")}\n`;
}

function renderClasses(figures: ClassificationFigures): string {
  return renderTable(
    ["CLASS", "SUPPORT", "PREDICTED", "PRECISION", "RECALL", "F1"],
    figures.classes.map((row) => [row.label, row.support, row.predicted, figure(row.precision), figure(row.recall), figure(row.f1)]),
  );
}

function renderConfusion(figures: ClassificationFigures): string {
  const { labels, counts, noAnswer } = figures.confusion;
  const withNoAnswer = noAnswer.some((count) => count > 0);
  return `confusion matrix (rows: expected, columns: predicted)\n${renderTable(
    ["EXPECTED", ...labels, ...(withNoAnswer ? ["(no answer)"] : [])],
    labels.map((label, row) => [label, ...counts[row]!.map(String), ...(withNoAnswer ? [String(noAnswer[row])] : [])]),
  )}`;
}

function renderExamples(examples: readonly EvalExampleRecord[], classifying: boolean): string {
  // The error column only when an example has one; it comes last, so a long message leaves the columns aligned.
  const errors = examples.some((example) => example.error) ? ["ERROR"] : [];
  return renderTable(
    ["LINE", "EXPECTED", classifying ? "PREDICTED" : "VERDICT", "OK", "TOKENS IN / OUT", "COST", "RUN", ...errors],
    examples.map((example) => [
      example.line,
      clip(labelOf(example.expected)),
      classifying ? clip(example.predicted ?? "(no answer)") : clip(example.reason ?? (example.correct ? "pass" : "fail")),
      example.correct ? style.green("yes") : style.red(example.error ? "error" : "no"),
      tokens(example.inputTokens, example.outputTokens),
      formatMoney(example.spentMicros),
      example.runId,
      ...(errors.length > 0 ? [example.error ? style.red(`[${example.error.code}] ${clip(example.error.message, 100)}`) : ""] : []),
    ]),
  );
}

function clip(text: string, width = 40): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** One line per stored evaluation, newest first: what to compare two model versions by. */
export function renderEvalList(rows: readonly EvalRunRecord[]): string {
  return `${renderTable(
    ["EVAL", "TARGET", "STARTED", "EXAMPLES", "ACCURACY", "MODELS", "SCORER", "DATASET", "COST", "STATUS"],
    rows.map((row) => [
      row.id,
      row.target,
      formatTime(row.startedAt),
      row.examples,
      percent(row.examples === 0 ? null : row.correct / row.examples),
      describeModels(row.models),
      row.field ? `${row.scorer} (${row.field})` : row.scorer,
      `${row.dataset} ${row.datasetSha256.slice(0, 8)}`,
      formatMoney(row.spentMicros),
      row.status,
    ]),
  )}\n`;
}

/** Two evaluations side by side: what changed between model versions. */
export function renderEvalComparison(comparison: EvalComparison): string {
  const { baseline, candidate } = comparison;
  const delta = comparison.accuracyDelta;
  const sections = [
    renderTable(
      ["", "BASELINE", "CANDIDATE"],
      [
        ["eval", baseline.evaluation.id, candidate.evaluation.id],
        ["target", baseline.evaluation.target, candidate.evaluation.target],
        ["models", describeModels(baseline.evaluation.models), describeModels(candidate.evaluation.models)],
        ["accuracy", percent(baseline.accuracy), `${percent(candidate.accuracy)} (${delta >= 0 ? "+" : ""}${(delta * 100).toFixed(1)} points)`],
        ["cost per example", formatMoney(comparison.costPerExampleMicros.baseline), formatMoney(comparison.costPerExampleMicros.candidate)],
      ],
    ),
  ];
  if (comparison.classes.length > 0) sections.push(renderTable(["CLASS", "F1 BASELINE", "F1 CANDIDATE"], comparison.classes.map((row) => [row.label, figure(row.baselineF1), figure(row.candidateF1)])));
  if (!comparison.sameDataset) sections.push(style.yellow("the two evaluations read different datasets (sha256 differs): examples are not compared one by one"));
  else if (comparison.changed.length === 0) sections.push("no example changed its verdict");
  else {
    sections.push(
      `examples whose verdict changed\n${renderTable(
        ["LINE", "EXPECTED", "BASELINE", "CANDIDATE"],
        comparison.changed.map((row) => [row.line, clip(row.expected), `${clip(row.baseline.answer ?? "-")} ${row.baseline.correct ? "✓" : "✗"}`, `${clip(row.candidate.answer ?? "-")} ${row.candidate.correct ? "✓" : "✗"}`]),
      )}`,
    );
  }
  return `${sections.join("\n\n")}\n`;
}
