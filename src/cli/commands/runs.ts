import type { Command } from "commander";
import { UnknownRunError } from "../../engine/engine-errors.ts";
import { InputValidationError } from "../../errors.ts";
import { listRunRecords } from "../../engine/run-records.ts";
import type { RunStatus } from "../../store/schema.ts";
import { globalOptions, withReadOnlyStore } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { runCost } from "../run-cost.ts";
import { loadRunTree } from "../run-tree.ts";
import { stepTreeRows } from "../step-tree.ts";
import { formatDuration, formatMoney, formatTime, renderTable } from "../table.ts";

const runStatuses: RunStatus[] = ["pending", "running", "waiting", "completed", "partial", "failed", "cancelled"];

export function registerRunsCommands(program: Command): void {
  program
    .command("runs")
    .description("list runs, newest first")
    .option("--status <status>", "only runs with this status")
    .option("--workflow <name>", "only runs of this workflow")
    .option("--limit <n>", "how many", "20")
    .action(async (options: { status?: RunStatus; workflow?: string; limit: string }, command: Command) => {
      const global = globalOptions(command);
      if (options.status && !runStatuses.includes(options.status)) throw new InputValidationError(`--status must be one of ${runStatuses.join(", ")}; got "${options.status}".`);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InputValidationError(`--limit must be a positive integer; got "${options.limit}".`);
      await withReadOnlyStore(global, async (store) => {
        const runs = await listRunRecords(store.db, { status: options.status, workflow: options.workflow, limit });
        if (global.json) return printJson(runs.map(({ id, workflow, status, createdAt, endedAt, parentRunId, error }) => ({ id, workflow, status, createdAt, endedAt, parentRunId, error })));
        if (runs.length === 0) return void process.stdout.write("No runs yet. Start one with: cadre run <workflow> --input '{...}'\n");
        process.stdout.write(
          `${renderTable(
            ["RUN", "WORKFLOW", "STATUS", "STARTED", "DURATION"],
            runs.map((run) => [run.id, run.workflow, colorStatus(run.status), formatTime(run.createdAt), formatDuration(run.endedAt ? run.endedAt - run.createdAt : null)]),
          )}\n`,
        );
      });
    });

  program
    .command("show <runId>")
    .description("show a run and its step tree")
    .action(async (runId: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      await withReadOnlyStore(global, async (store) => {
        const tree = await loadRunTree(store, runId);
        if (!tree) throw new UnknownRunError(runId);
        const { run, steps, children } = tree;
        if (global.json) return printJson({ run, steps, children: children.map(({ run: child }) => ({ id: child.id, workflow: child.workflow, status: child.status, parentStepKey: child.parentStepKey })) });
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
        const cost = await runCost(store.db, runId);
        process.stdout.write(`\ntotal ${formatMoney(cost.spentMicros)}: every charge (models and tools) of this run${children.length > 0 ? " and its child runs" : ""}\n`);
        if (run.error) process.stdout.write(`\n${style.red(`error [${run.error.code}]`)}: ${run.error.message}\n`);
      });
    });
}

function colorStatus(status: string): string {
  if (status === "completed") return style.green(status);
  if (status === "failed") return style.red(status);
  return style.yellow(status);
}
