import { generateId } from "../engine/ids.ts";
import { ConfigurationError, InputValidationError } from "../errors.ts";
import { fundBudget } from "../governance/admin.ts";
import { workflowAccount } from "../governance/ledger.ts";
import { usd } from "../governance/money.ts";
import { listAccounts } from "../governance/reports.ts";
import type { Runtime } from "../workflow/runtime.ts";
import { agentEvalWorkflowName } from "./agent-eval-workflow.ts";
import type { LabelledDataset, LabelledExample } from "./dataset.ts";
import { UnknownEvalTargetError } from "./eval-errors.ts";
import { finishEvalRun, getEvalRun, insertEvalExample, insertEvalRun, listEvalExamples, type EvalExampleRecord, type EvalRunRecord } from "./eval-records.ts";
import { buildEvalReport, type EvalReport } from "./eval-report.ts";
import { inParallel } from "./in-parallel.ts";
import { evaluateExample, type EvalTarget } from "./run-example.ts";
import { formatScorer, type ScorerSpec } from "./scorers.ts";

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
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputValidationError({ message: `Concurrency is a whole number of examples at once, 1 or more; got ${concurrency}.`, concurrency });
  if (options.minAccuracy !== undefined && !(options.minAccuracy >= 0 && options.minAccuracy <= 1)) {
    throw new InputValidationError({ message: `The minimum accuracy is a fraction from 0 to 1, such as 0.9; got ${options.minAccuracy}.`, minAccuracy: options.minAccuracy });
  }
  if (options.budgetMicros !== undefined && !(Number.isSafeInteger(options.budgetMicros) && options.budgetMicros > 0)) {
    throw new InputValidationError({ message: `An example's budget is a positive whole number of micro-units; got ${options.budgetMicros}.`, budgetMicros: options.budgetMicros });
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

function resolveTarget(runtime: Runtime, name: string): EvalTarget {
  if (runtime.workflows.has(name)) return { kind: "workflow", workflow: name };
  if (runtime.agents.has(name)) return { kind: "agent", workflow: requireAgentWorkflow(runtime, name) };
  throw new UnknownEvalTargetError({ target: name, role: "target", workflows: [...runtime.workflows.keys()], agents: [...runtime.agents.keys()] });
}

function resolveJudge(runtime: Runtime, agent: string): string {
  if (!runtime.agents.has(agent)) throw new UnknownEvalTargetError({ target: agent, role: "judge", workflows: [...runtime.workflows.keys()], agents: [...runtime.agents.keys()] });
  return requireAgentWorkflow(runtime, agent);
}

function requireAgentWorkflow(runtime: Runtime, agent: string): string {
  const workflow = agentEvalWorkflowName(agent);
  if (!runtime.workflows.has(workflow)) {
    throw new ConfigurationError({
      message: `Agent "${agent}" is evaluated through the workflow "${workflow}", which this runtime does not register.`,
      fix: "Pass agentEvalWorkflow(agent) in the runtime's workflows.",
      agent,
      workflow,
    });
  }
  return workflow;
}

/** Tops the evaluation workflow's account up to what its runs need (an audited deposit), so an agent's evaluation never spends another workflow's money. */
async function fundFor(runtime: Runtime, options: { workflow: string; amount: number; principal: string }): Promise<void> {
  const account = (await listAccounts(runtime.store.db)).find((entry) => entry.id === workflowAccount(options.workflow));
  const shortfall = options.amount - (account?.balanceMicros ?? 0);
  if (shortfall > 0) await fundBudget({ store: runtime.store, principal: options.principal, now: runtime.now() }, { amount: shortfall, workflow: options.workflow, note: `evaluation runs of ${options.workflow}` });
}
