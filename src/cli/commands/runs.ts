import type { Command } from "commander";
import type { RunSummary } from "../../engine/run-records.ts";
import { InputValidationError } from "../../errors.ts";
import type { Operator } from "../../operator/operator.ts";
import { maxPageSize, runStatuses, toRunDetail } from "../../operator/runs.ts";
import type { RunStatus } from "../../store/schema.ts";
import { globalOptions, withReadOnlyOperator } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatLabels } from "../../workers/run-ticket.ts";
import { stepTreeRows } from "../step-tree.ts";
import { formatDuration, formatMoney, formatTime, renderTable } from "../table.ts";

export function registerRunsCommands(program: Command): void {
  program
    .command("runs")
    .description("list runs, newest first")
    .option("--status <status>", "only runs with this status")
    .option("--workflow <name>", "only runs of this workflow")
    .option("--limit <n>", "how many", "20")
    .action(async (options: { status?: RunStatus; workflow?: string; limit: string }, command: Command) => {
      const global = globalOptions(command);
      if (options.status && !runStatuses.includes(options.status)) throw new InputValidationError({ message: `--status must be one of ${runStatuses.join(", ")}; got "${options.status}".` });
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InputValidationError({ message: `--limit must be a positive integer; got "${options.limit}".` });
      const runs = await withReadOnlyOperator(global, (operator) => newestRuns(operator, { status: options.status, workflow: options.workflow }, limit));
      if (global.json) return printJson(runs);
      if (runs.length === 0) return void process.stdout.write("No runs yet. Start one with: cadre run <workflow> --input '{...}'\n");
      process.stdout.write(
        `${renderTable(
          ["RUN", "WORKFLOW", "STATUS", "STARTED", "DURATION"],
          runs.map((run) => [run.id, run.workflow, run.status === "pending" && run.placement ? `${colorStatus(run.status)} ${style.yellow(`(waits for a worker with ${formatLabels(run.placement)})`)}` : colorStatus(run.status), formatTime(run.createdAt), formatDuration(run.endedAt ? run.endedAt - run.createdAt : null)]),
        )}\n`,
      );
    });

  program
    .command("show <runId>")
    .description("show a run and its step tree")
    .action(async (runId: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      await withReadOnlyOperator(global, async (operator) => {
        const tree = await operator.runs.tree(runId);
        const { run, children } = tree;
        if (global.json) return printJson(toRunDetail(tree));
        process.stdout.write(`${style.bold(run.workflow)}  ${run.id}  ${colorStatus(run.status)}  ${formatTime(run.createdAt)}  ${formatDuration(run.endedAt ? run.endedAt - run.createdAt : null)}\n`);
        if (run.goal) process.stdout.write(`goal: ${run.goal}\n`);
        process.stdout.write("\n");
        const rows = stepTreeRows(tree);
        // The error column only when a step failed; it comes last, so a long message leaves the columns aligned.
        const errors = rows.some((row) => row.error) ? ["ERROR"] : [];
        process.stdout.write(
          `${renderTable(
            ["STEP", "TYPE", "STATUS", "ATTEMPTS", "DURATION", "COST", ...errors],
            rows.map((row) => [`${"  ".repeat(row.depth)}${row.label}`, row.type, colorStatus(row.status), row.attempts, formatDuration(row.durationMs), row.costMicros > 0 ? formatMoney(row.costMicros) : "-", ...(errors.length > 0 ? [row.error ? style.red(row.error) : ""] : [])]),
          )}\n`,
        );
        const cost = await operator.runs.cost(runId);
        process.stdout.write(`\ntotal ${formatMoney(cost.spentMicros)}: every charge (models and tools) of this run${children.length > 0 ? " and its child runs" : ""}\n`);
        if (run.error) process.stdout.write(`\n${style.red(`error [${run.error.code}]`)}: ${run.error.message}\n`);
      });
    });
}

/** The newest `limit` runs, read a page at a time. */
async function newestRuns(operator: Operator, filter: { status?: RunStatus; workflow?: string }, limit: number): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await operator.runs.list({ ...filter, limit: Math.min(limit - runs.length, maxPageSize), cursor });
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && runs.length < limit);
  return runs;
}

function colorStatus(status: string): string {
  if (status === "completed") return style.green(status);
  if (status === "failed") return style.red(status);
  return style.yellow(status);
}
