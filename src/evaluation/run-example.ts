import { runTreeIds } from "../engine/run-records.ts";
import { OutputValidationError, StepFailedError, toCadreError, type SerializedError } from "../errors.ts";
import { modelCharges, spendReport } from "../governance/reports.ts";
import type { Runtime } from "../workflow/runtime.ts";
import type { LabelledExample } from "./dataset.ts";
import type { EvalExampleRecord } from "./eval-records.ts";
import { scoreAnswer, selectField, type ScorerSpec, type Verdict } from "./scorers.ts";

/** The evaluation workflow an example runs as: the target workflow, or an agent's `eval-<agent>`. */
export interface EvalTarget {
  kind: "workflow" | "agent";
  workflow: string;
}

/** What one example is run and scored with. */
export interface ExampleContext {
  runtime: Runtime;
  evalId: string;
  example: LabelledExample;
  target: EvalTarget;
  /** The judge's evaluation workflow, for a judge scorer. */
  judge: string | undefined;
  scorer: ScorerSpec;
  field: string | undefined;
  principal: string;
  /** The example run's budget (undefined: the workflow's perRun). */
  budget: number | undefined;
  judgeBudget: number;
  /** Agent → the model ids it was charged under, filled in as runs end. */
  models: Map<string, Set<string>>;
}

/** Runs one example (and its judge), and scores its answer: the row the evaluation stores. */
export async function evaluateExample(context: ExampleContext): Promise<EvalExampleRecord> {
  const { example } = context;
  const answer = await runOnce(context, context.target.workflow, example.input, context.budget);
  const record: EvalExampleRecord = {
    evalId: context.evalId,
    line: example.line,
    runId: answer.runId,
    judgeRunId: null,
    input: example.input,
    expected: example.expected,
    actual: answer.output,
    predicted: null,
    correct: false,
    reason: answer.error ? answer.error.message : null,
    error: answer.error,
    ...answer.cost,
    durationMs: answer.durationMs,
  };
  if (answer.error || answer.runId === null) return record;
  const selected = selectField(answer.output, context.field);
  if (context.scorer.kind !== "judge") return { ...record, ...verdictFields(scoreAnswer(context.scorer, { expected: example.expected, answer: selected })) };
  const judged = await runOnce(context, context.judge!, { input: example.input, expected: example.expected, output: selected }, context.judgeBudget);
  const withJudge = {
    ...record,
    judgeRunId: judged.runId,
    spentMicros: record.spentMicros + judged.cost.spentMicros,
    inputTokens: record.inputTokens + judged.cost.inputTokens,
    outputTokens: record.outputTokens + judged.cost.outputTokens,
  };
  if (judged.error) return { ...withJudge, error: judged.error, reason: `the judge failed: ${judged.error.message}` };
  const verdict = judged.output as { correct?: unknown; reason?: unknown } | null;
  if (typeof verdict !== "object" || verdict === null || typeof verdict.correct !== "boolean") {
    // The judge's definition is at fault, not a passing model: the example is an error, never a pass.
    const error = new OutputValidationError(
      { message: `The judge "${context.judge}" answered ${JSON.stringify(judged.output)}.`, fix: 'A judge answers { "correct": true|false, "reason": "..." }.', judge: context.judge },
      { fault: "configuration", retryable: false },
    ).toJSON();
    return { ...withJudge, error, reason: error.message };
  }
  return { ...withJudge, ...verdictFields({ correct: verdict.correct, predicted: null, reason: typeof verdict.reason === "string" ? verdict.reason : undefined }) };
}

function verdictFields(verdict: Verdict): Pick<EvalExampleRecord, "correct" | "predicted" | "reason"> {
  return { correct: verdict.correct, predicted: verdict.predicted, reason: verdict.reason ?? null };
}

interface RunAnswer {
  runId: string | null;
  output: unknown;
  error: SerializedError | null;
  cost: { spentMicros: number; inputTokens: number; outputTokens: number };
  durationMs: number | null;
}

/** One run to its end: its output or why it gave none, what its run tree cost, and which models each agent was charged under. */
async function runOnce(context: ExampleContext, workflow: string, input: unknown, budget: number | undefined): Promise<RunAnswer> {
  const { runtime } = context;
  const noCost = { spentMicros: 0, inputTokens: 0, outputTokens: 0 };
  let runId: string;
  let result;
  try {
    const handle = await runtime.start(workflow, input, { budget, principal: context.principal, goal: `evaluation ${context.evalId}, example at line ${context.example.line}` });
    runId = handle.runId;
    result = await handle.result();
  } catch (error) {
    return { runId: null, output: undefined, error: toCadreError(error).toJSON(), cost: noCost, durationMs: null };
  }
  const db = runtime.store.db;
  const cost = { ...noCost };
  for (const row of await spendReport(db, { by: "run", runId })) {
    cost.spentMicros += row.spentMicros;
    cost.inputTokens += row.inputTokens;
    cost.outputTokens += row.outputTokens;
  }
  for (const charge of await modelCharges(db, { runIds: await runTreeIds(db, runId) })) {
    const agent = charge.agent ?? "-";
    context.models.set(agent, (context.models.get(agent) ?? new Set()).add(charge.model));
  }
  const run = await runtime.getRun(runId);
  const durationMs = run?.endedAt ? run.endedAt - run.createdAt : null;
  // A partial run (a fan-in that kept what succeeded) still answered.
  if (result.status === "completed" || (result.status === "partial" && result.output !== undefined)) return { runId, output: result.output, error: null, cost, durationMs };
  const error = result.error ?? new StepFailedError({ message: `The run ended ${result.status} without an answer${result.status === "waiting" ? " (it waits for a person or an event)" : ""}.`, runId, status: result.status }, { retryable: false }).toJSON();
  return { runId, output: result.output, error, cost, durationMs };
}
