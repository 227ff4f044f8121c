import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Agent } from "../../agent/define-agent.ts";
import { InputValidationError } from "../../errors.ts";
import { agentEvalWorkflow } from "../../evaluation/agent-eval-workflow.ts";
import { parseDataset } from "../../evaluation/dataset.ts";
import type { EvalExampleRecord } from "../../evaluation/eval-records.ts";
import { parseScorer, type ScorerSpec } from "../../evaluation/scorers.ts";
import { usd } from "../../governance/money.ts";
import type { Workflow } from "../../workflow/define-workflow.ts";
import { cliPrincipal, globalOptions, withReadOnlyOperator, withRuntime, type GlobalOptions } from "../cli-context.ts";
import type { CadreConfig } from "../config.ts";
import { ExitCode } from "../exit-codes.ts";
import { renderEvalComparison, renderEvalList, renderEvalReport } from "../eval-view.ts";
import { parseDollars, printJson, style } from "../io.ts";
import { formatMoney } from "../table.ts";

interface EvalOptions {
  dataset?: string;
  field?: string;
  scorer: string;
  minAccuracy?: string;
  concurrency: string;
  budget?: string;
  quiet?: boolean;
}

/** `cadre eval`: score a router, classifier or any agent over a labelled dataset, gate CI on its accuracy, and read stored evaluations. */
export function registerEvalCommands(program: Command): void {
  const evalCommand = program
    .command("eval")
    .description("score a workflow or agent over a labelled dataset (JSON lines); `eval list`, `eval show <id>` read stored evaluations")
    .argument("[target]", "the workflow or agent to evaluate")
    .option("--dataset <file.jsonl>", 'labelled examples, one {"input": ..., "expected": ...} a line')
    .option("--field <path>", "the output field compared with expected, a dotted path (default: the whole output)")
    .option("--scorer <scorer>", "exact | json-field | regex:<pattern> | judge:<agent>", "exact")
    .option("--min-accuracy <fraction>", "exit 1 when the accuracy is below this (0 to 1, e.g. 0.9)")
    .option("--concurrency <n>", "examples run at once", "4")
    .option("--budget <dollars>", "each example's run budget (an agent's default $0.10; a workflow's default its perRun)")
    .option("--quiet", "no line per example on stderr")
    .action(async (target: string | undefined, options: EvalOptions, command: Command) => {
      const global = globalOptions(command);
      if (target === undefined) throw new InputValidationError({ message: "Name what to evaluate: cadre eval <workflow-or-agent> --dataset labelled.jsonl" });
      if (options.dataset === undefined) throw new InputValidationError({ message: `Pass the labelled examples: cadre eval ${target} --dataset labelled.jsonl (one {"input": ..., "expected": ...} a line).` });
      const dataset = parseDataset({ name: options.dataset, text: readDataset(options.dataset) });
      const scorer = parseScorer(options.scorer);
      const minAccuracy = options.minAccuracy === undefined ? undefined : parseFraction(options.minAccuracy);
      const concurrency = parsePositiveInteger(options.concurrency, "--concurrency");
      const budgetMicros = options.budget === undefined ? undefined : usd(parseDollars(options.budget));
      const { evaluate } = await import("../../evaluation/evaluate.ts");
      // Ctrl-C stops starting examples; those in flight finish, and the evaluation is stored as interrupted.
      const stop = new AbortController();
      const onSignal = () => {
        process.stderr.write(`\n${style.yellow("interrupted")}: finishing the examples in flight, then storing the evaluation as interrupted\n`);
        stop.abort();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const report = await withRuntime(
        global,
        (runtime) =>
          evaluate({
            signal: stop.signal,
            runtime,
            target,
            dataset,
            field: options.field,
            scorer,
            concurrency,
            budgetMicros,
            minAccuracy,
            principal: cliPrincipal(),
            onExample: options.quiet || global.json ? undefined : (example) => process.stderr.write(progressLine(example)),
          }),
        { workflows: (config) => evaluationWorkflows(config, target, scorer) },
      ).finally(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      });
      if (global.json) printJson(report);
      else process.stdout.write(renderEvalReport(report));
      // An interrupted evaluation gates nothing: its accuracy counts examples that never ran.
      process.exitCode = stop.signal.aborted ? ExitCode.interrupted : report.passed === false ? ExitCode.failed : ExitCode.ok;
    });

  evalCommand
    .command("list")
    .description("stored evaluations, newest first, with their accuracy and the models each agent ran on")
    .option("--target <name>", "only evaluations of this workflow or agent")
    .option("--limit <n>", "how many", "20")
    .action(async (options: { target?: string; limit: string }, command: Command) => {
      const global = globalOptions(command);
      const limit = parsePositiveInteger(options.limit, "--limit");
      const rows = await withReadOnlyOperator(global, (operator) => operator.evals.list({ target: options.target, limit }));
      if (global.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write("No evaluations yet. Run one with: cadre eval <workflow-or-agent> --dataset labelled.jsonl\n");
      process.stdout.write(renderEvalList(rows));
    });

  evalCommand
    .command("show <evalId>")
    .description("one stored evaluation: accuracy, per-class figures, confusion matrix, every example")
    .action(async (evalId: string, _options: unknown, command: Command) => {
      const global: GlobalOptions = globalOptions(command);
      const report = await withReadOnlyOperator(global, (operator) => operator.evals.get(evalId));
      if (global.json) return printJson(report);
      process.stdout.write(renderEvalReport(report));
    });

  evalCommand
    .command("compare <baselineId> <candidateId>")
    .description("two stored evaluations side by side: models, accuracy, per-class F1, the examples whose verdict changed")
    .action(async (baselineId: string, candidateId: string, _options: unknown, command: Command) => {
      const global: GlobalOptions = globalOptions(command);
      const comparison = await withReadOnlyOperator(global, (operator) => operator.evals.compare(baselineId, candidateId));
      if (global.json) return printJson(comparison);
      process.stdout.write(renderEvalComparison(comparison));
    });
}

/** The evaluation workflows an agent target and a judge need, made from the config's agents (a workflow target needs none). */
function evaluationWorkflows(config: CadreConfig, target: string, scorer: ScorerSpec): Workflow[] {
  const agents = new Map((config.agents ?? []).map((agent: Agent) => [agent.name, agent]));
  const workflows = new Set((config.workflows ?? []).map((workflow) => workflow.name));
  const names = [...(workflows.has(target) ? [] : [target]), ...(scorer.kind === "judge" ? [scorer.agent] : [])];
  return [...new Set(names)].flatMap((name) => {
    const agent = agents.get(name);
    return agent ? [agentEvalWorkflow(agent)] : [];
  });
}

function readDataset(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new InputValidationError({ message: `Cannot read the dataset ${path}: ${(error as Error).message}`, path });
  }
}

function parseFraction(text: string): number {
  const value = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) throw new InputValidationError({ message: `--min-accuracy is a fraction from 0 to 1, such as 0.9; got "${text}".`, minAccuracy: text });
  return value;
}

function parsePositiveInteger(text: string, option: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new InputValidationError({ message: `${option} must be a positive whole number; got "${text}".`, option, value: text });
  return value;
}

function progressLine(example: EvalExampleRecord): string {
  const verdict = example.correct ? style.green("ok") : example.error ? style.red(`error [${example.error.code}]`) : style.red("wrong");
  const answer = example.predicted ?? example.reason ?? "";
  return `${style.dim(`line ${example.line}`)}  ${verdict}  ${answer}  ${formatMoney(example.spentMicros)}\n`;
}
