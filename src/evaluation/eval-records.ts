import type { SerializedError } from "../errors.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import type { EvalExamplesTable, EvalRunsTable } from "../store/schema.ts";
import type { Db } from "../store/store.ts";

/** An evaluation as stored: what was evaluated on which data, with which models, and how it scored. */
export interface EvalRunRecord {
  id: string;
  target: string;
  targetKind: "workflow" | "agent";
  dataset: string;
  datasetSha256: string;
  field: string | null;
  scorer: string;
  /** Agent name → the model ids its calls were charged under: what to compare two evaluations by. */
  models: Record<string, string[]>;
  status: "running" | "completed" | "interrupted";
  examples: number;
  scored: number;
  correct: number;
  /** Examples whose run (or judge run) failed: scored as wrong. */
  errors: number;
  minAccuracy: number | null;
  spentMicros: number;
  inputTokens: number;
  outputTokens: number;
  principal: string;
  startedAt: number;
  endedAt: number | null;
}

/** One example of an evaluation: its label, the answer, the verdict, and what its runs cost. */
export interface EvalExampleRecord {
  evalId: string;
  line: number;
  runId: string | null;
  judgeRunId: string | null;
  input: unknown;
  expected: unknown;
  /** The target's output; undefined when its run gave none. */
  actual: unknown;
  predicted: string | null;
  correct: boolean;
  reason: string | null;
  error: SerializedError | null;
  spentMicros: number;
  inputTokens: number;
  outputTokens: number;
  durationMs: number | null;
}

export type NewEvalRun = Pick<EvalRunRecord, "id" | "target" | "targetKind" | "dataset" | "datasetSha256" | "field" | "scorer" | "examples" | "minAccuracy" | "principal" | "startedAt">;

export async function insertEvalRun(db: Db, run: NewEvalRun): Promise<void> {
  await db
    .insertInto("eval_runs")
    .values({
      id: run.id,
      target: run.target,
      target_kind: run.targetKind,
      dataset: run.dataset,
      dataset_sha256: run.datasetSha256,
      field: run.field,
      scorer: run.scorer,
      models: "{}",
      status: "running",
      examples: run.examples,
      scored: 0,
      correct: 0,
      errors: 0,
      spent_micros: 0,
      input_tokens: 0,
      output_tokens: 0,
      min_accuracy: run.minAccuracy === null ? null : String(run.minAccuracy),
      principal: run.principal,
      started_at: run.startedAt,
      ended_at: null,
    })
    .execute();
}

export async function insertEvalExample(db: Db, example: EvalExampleRecord): Promise<void> {
  await db
    .insertInto("eval_examples")
    .values({
      eval_id: example.evalId,
      line: example.line,
      run_id: example.runId,
      judge_run_id: example.judgeRunId,
      input: encodeJson(example.input) ?? "null",
      expected: encodeJson(example.expected) ?? "null",
      actual: encodeJson(example.actual),
      predicted: example.predicted,
      correct: example.correct ? 1 : 0,
      reason: example.reason,
      error: example.error === null ? null : JSON.stringify(example.error),
      spent_micros: example.spentMicros,
      input_tokens: example.inputTokens,
      output_tokens: example.outputTokens,
      duration_ms: example.durationMs,
    })
    .execute();
}

/** Writes the totals and the models seen, and ends the evaluation. */
export async function finishEvalRun(db: Db, id: string, totals: Pick<EvalRunRecord, "status" | "scored" | "correct" | "errors" | "spentMicros" | "inputTokens" | "outputTokens" | "models" | "endedAt">): Promise<void> {
  await db
    .updateTable("eval_runs")
    .set({
      status: totals.status,
      scored: totals.scored,
      correct: totals.correct,
      errors: totals.errors,
      spent_micros: totals.spentMicros,
      input_tokens: totals.inputTokens,
      output_tokens: totals.outputTokens,
      models: JSON.stringify(totals.models),
      ended_at: totals.endedAt,
    })
    .where("id", "=", id)
    .execute();
}

/** Evaluations newest first, optionally of one target. */
export async function listEvalRuns(db: Db, options: { target?: string; limit?: number } = {}): Promise<EvalRunRecord[]> {
  let query = db.selectFrom("eval_runs").selectAll().orderBy("started_at", "desc").orderBy("id", "desc");
  if (options.target !== undefined) query = query.where("target", "=", options.target);
  return (await query.limit(options.limit ?? 50).execute()).map(toEvalRun);
}

export async function getEvalRun(db: Db, id: string): Promise<EvalRunRecord | undefined> {
  const row = await db.selectFrom("eval_runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toEvalRun(row) : undefined;
}

/** The examples of an evaluation in dataset order. */
export async function listEvalExamples(db: Db, evalId: string): Promise<EvalExampleRecord[]> {
  const rows = await db.selectFrom("eval_examples").selectAll().where("eval_id", "=", evalId).orderBy("line").execute();
  return rows.map(toEvalExample);
}

function toEvalRun(row: EvalRunsTable): EvalRunRecord {
  return {
    id: row.id,
    target: row.target,
    targetKind: row.target_kind,
    dataset: row.dataset,
    datasetSha256: row.dataset_sha256,
    field: row.field,
    scorer: row.scorer,
    models: JSON.parse(row.models) as Record<string, string[]>,
    status: row.status,
    examples: Number(row.examples),
    scored: Number(row.scored),
    correct: Number(row.correct),
    errors: Number(row.errors),
    minAccuracy: row.min_accuracy === null ? null : Number(row.min_accuracy),
    spentMicros: Number(row.spent_micros),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    principal: row.principal,
    startedAt: Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
  };
}

function toEvalExample(row: EvalExamplesTable): EvalExampleRecord {
  return {
    evalId: row.eval_id,
    line: Number(row.line),
    runId: row.run_id,
    judgeRunId: row.judge_run_id,
    input: decodeJson(row.input),
    expected: decodeJson(row.expected),
    actual: decodeJson(row.actual),
    predicted: row.predicted,
    correct: Number(row.correct) === 1,
    reason: row.reason,
    error: decodeJson<SerializedError>(row.error) ?? null,
    spentMicros: Number(row.spent_micros),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  };
}
