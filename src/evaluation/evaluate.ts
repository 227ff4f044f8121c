import { generateId } from "../engine/ids.ts";
import { runTreeIds } from "../engine/run-records.ts";
import { CadreError, InputValidationError, toCadreError, type SerializedError } from "../errors.ts";
import { fundBudget } from "../governance/admin.ts";
import { workflowAccount } from "../governance/ledger.ts";
import { usd } from "../governance/money.ts";
import { listAccounts, modelCharges, spendReport } from "../governance/reports.ts";
import type { Runtime } from "../workflow/runtime.ts";
import { agentEvalWorkflowName } from "./agent-eval-workflow.ts";
import type { LabelledDataset, LabelledExample } from "./dataset.ts";
import { finishEvalRun, getEvalRun, insertEvalExample, insertEvalRun, listEvalExamples, type EvalExampleRecord, type EvalRunRecord } from "./eval-records.ts";
import { buildEvalReport, type EvalReport } from "./eval-report.ts";
import { formatScorer, scoreAnswer, selectField, type ScorerSpec, type Verdict } from "./scorers.ts";

/** What an example's runs are given when nothing else says: enough for a few calls of a small model. */
export const defaultExampleBudget = usd(0.1);

export interface EvaluateOptions {
  /** A runtime that has the target registered: a workflow, or an agent with its `agentEvalWorkflow` (and the judge's, for a judge scorer). */
  runtime: Runtime;
  /** A workflow name, or an agent name. */
  target: string;
  dataset: LabelledDataset;
  /** The dotted path of the output field compared with `expected` (default: the whole output). */
  field?: string;
  /** Default `exact`. */
  scorer?: ScorerSpec;
  /** Examples run at once (default 4). */
  concurrency?: number;
  /**
   * Micro-units each example's run is given (and each judge run). A workflow's runs are funded
   * from its own account like any run (default: its `perRun`); an agent's evaluation workflow is
   * funded for the examples it runs (default {@link defaultExampleBudget}).
   */
  budgetMicros?: number;
  /** The accuracy (0..1) the evaluation must reach to pass. */
  minAccuracy?: number;
  /** Who runs the evaluation: the principal of its runs and of its deposits. */
  principal?: string;
  /** Called as each example is scored (in completion order). */
  onExample?: (example: EvalExampleRecord) => void;
  /** Aborting stops starting examples; those in flight finish and are kept, and the evaluation is stored as `interrupted`. */
  signal?: AbortSignal;
}

interface Target {
  kind: "workflow" | "agent";
  workflow: string;
}

/**
 * Runs every labelled example as a real, journaled run of the target (its own budget, at most
 * `concurrency` at once), scores the answers, and stores the evaluation with one row per
 * example: accuracy, per-class figures, cost and tokens per example, and the model ids each
 * agent was charged under, so evaluations of two model versions can be compared.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const { runtime, dataset } = options;
  const scorer = options.scorer ?? { kind: "exact" };
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputValidationError(`Concurrency is a whole number of examples at once, 1 or more; got ${concurrency}.`, { details: { concurrency } });
  if (options.minAccuracy !== undefined && !(options.minAccuracy >= 0 && options.minAccuracy <= 1)) {
    throw new InputValidationError(`The minimum accuracy is a fraction from 0 to 1, such as 0.9; got ${options.minAccuracy}.`, { details: { minAccuracy: options.minAccuracy } });
  }
  if (options.budgetMicros !== undefined && !(Number.isSafeInteger(options.budgetMicros) && options.budgetMicros > 0)) {
    throw new InputValidationError(`An example's budget is a positive whole number of micro-units; got ${options.budgetMicros}.`, { details: { budgetMicros: options.budgetMicros } });
  }
  const target = resolveTarget(runtime, options.target);
  const judge = scorer.kind === "judge" ? resolveJudge(runtime, scorer.agent) : undefined;
  const principal = options.principal ?? runtime.principal;
  const agentBudget = options.budgetMicros ?? defaultExampleBudget;
  if (target.kind === "agent") await fundFor(runtime, { workflow: target.workflow, amount: agentBudget * dataset.examples.length, principal });
  if (judge) await fundFor(runtime, { workflow: judge, amount: agentBudget * dataset.examples.length, principal });

  const evalId = generateId("eval");
  await runtime.store.transaction((tx) =>
    insertEvalRun(tx, {
      id: evalId,
      target: options.target,
      targetKind: target.kind,
      dataset: dataset.name,
      datasetSha256: dataset.sha256,
      field: options.field ?? null,
      scorer: formatScorer(scorer),
      examples: dataset.examples.length,
      minAccuracy: options.minAccuracy ?? null,
      principal,
      startedAt: runtime.now(),
    }),
  );
  const models = new Map<string, Set<string>>();
  let finished = false;
  try {
    const runExample = async (example: LabelledExample) => {
      const record = await evaluateExample({ runtime, evalId, example, target, judge, scorer, field: options.field, principal, budget: target.kind === "agent" ? agentBudget : options.budgetMicros, judgeBudget: agentBudget, models });
      await runtime.store.transaction((tx) => insertEvalExample(tx, record));
      options.onExample?.(record);
    };
    await inParallel(dataset.examples, { limit: concurrency, signal: options.signal }, runExample);
    finished = options.signal?.aborted !== true;
  } finally {
    const examples = await listEvalExamples(runtime.store.db, evalId);
    const sum = (pick: (example: EvalExampleRecord) => number) => examples.reduce((total, example) => total + pick(example), 0);
    await runtime.store.transaction((tx) =>
      finishEvalRun(tx, evalId, {
        status: finished ? "completed" : "interrupted",
        scored: examples.length,
        correct: examples.filter((example) => example.correct).length,
        errors: examples.filter((example) => example.error !== null).length,
        spentMicros: sum((example) => example.spentMicros),
        inputTokens: sum((example) => example.inputTokens),
        outputTokens: sum((example) => example.outputTokens),
        models: Object.fromEntries([...models].sort(([left], [right]) => left.localeCompare(right)).map(([agent, ids]) => [agent, [...ids].sort()])),
        endedAt: runtime.now(),
      }),
    );
  }
  return buildEvalReport((await getEvalRun(runtime.store.db, evalId)) as EvalRunRecord, await listEvalExamples(runtime.store.db, evalId));
}

function resolveTarget(runtime: Runtime, name: string): Target {
  if (runtime.workflows.has(name)) return { kind: "workflow", workflow: name };
  if (runtime.agents.has(name)) return { kind: "agent", workflow: requireAgentWorkflow(runtime, name) };
  throw new CadreError("UNKNOWN_WORKFLOW", `Nothing to evaluate is named "${name}": it is neither a workflow (${[...runtime.workflows.keys()].join(", ") || "none"}) nor an agent (${[...runtime.agents.keys()].join(", ") || "none"}) of this runtime.`, {
    details: { target: name, workflows: [...runtime.workflows.keys()], agents: [...runtime.agents.keys()] },
  });
}

function resolveJudge(runtime: Runtime, agent: string): string {
  if (!runtime.agents.has(agent)) throw new CadreError("UNKNOWN_AGENT", `The judge "${agent}" is not an agent of this runtime (agents: ${[...runtime.agents.keys()].join(", ") || "none"}).`, { details: { agent } });
  return requireAgentWorkflow(runtime, agent);
}

function requireAgentWorkflow(runtime: Runtime, agent: string): string {
  const workflow = agentEvalWorkflowName(agent);
  if (!runtime.workflows.has(workflow)) {
    throw new CadreError("CONFIGURATION", `Agent "${agent}" is evaluated through the workflow "${workflow}", which this runtime does not register: pass agentEvalWorkflow(agent) in the runtime's workflows.`, { details: { agent, workflow } });
  }
  return workflow;
}

/** Tops the evaluation workflow's account up to what its runs need (an audited deposit), so an agent's evaluation never spends another workflow's money. */
async function fundFor(runtime: Runtime, options: { workflow: string; amount: number; principal: string }): Promise<void> {
  const account = (await listAccounts(runtime.store.db)).find((entry) => entry.id === workflowAccount(options.workflow));
  const shortfall = options.amount - (account?.balanceMicros ?? 0);
  if (shortfall > 0) await fundBudget({ store: runtime.store, principal: options.principal, now: runtime.now() }, { amount: shortfall, workflow: options.workflow, note: `evaluation runs of ${options.workflow}` });
}

interface ExampleContext {
  runtime: Runtime;
  evalId: string;
  example: LabelledExample;
  target: Target;
  judge: string | undefined;
  scorer: ScorerSpec;
  field: string | undefined;
  principal: string;
  budget: number | undefined;
  judgeBudget: number;
  models: Map<string, Set<string>>;
}

async function evaluateExample(context: ExampleContext): Promise<EvalExampleRecord> {
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
    const error = new CadreError("INVALID_OUTPUT", `The judge "${context.judge}" answered ${JSON.stringify(judged.output)}; a judge answers { "correct": true|false, "reason": "..." }.`, { fault: "configuration" }).toJSON();
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
  const error = result.error ?? new CadreError("STEP_FAILED", `The run ended ${result.status} without an answer${result.status === "waiting" ? " (it waits for a person or an event)" : ""}.`, { details: { runId, status: result.status } }).toJSON();
  return { runId, output: result.output, error, cost, durationMs };
}

/** Calls `work` on every item, at most `limit` at once; the first failure (or the signal) stops new work, and a failure is thrown when the running ones end. */
async function inParallel<T>(items: readonly T[], options: { limit: number; signal?: AbortSignal }, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && options.signal?.aborted !== true && next < items.length) {
      const item = items[next]!;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.limit, items.length) }, worker));
  if (failure) throw failure.error;
}
