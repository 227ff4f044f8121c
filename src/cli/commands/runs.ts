import type { Command } from "commander";
import { UnknownRunError } from "../../engine/engine-errors.ts";
import { InputValidationError } from "../../errors.ts";
import { Journal } from "../../engine/journal.ts";
import { getRunRecord, listRunRecords } from "../../engine/run-records.ts";
import type { RunStatus } from "../../store/schema.ts";
import { globalOptions, withStore } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { compareKeys } from "../step-order.ts";
import { formatDuration, formatTime, renderTable } from "../table.ts";

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
      await withStore(global, async (store) => {
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
      await withStore(global, async (store) => {
        const run = await getRunRecord(store.db, runId);
        if (!run) throw new UnknownRunError(runId);
        const steps = (await Journal.load(store, runId)).entries().sort((a, b) => compareKeys(a.key, b.key));
        const children = await listRunRecords(store.db, { parentRunId: runId, limit: 1000 });
        if (global.json) return printJson({ run, steps, children: children.map(({ id, workflow, status, parentStepKey }) => ({ id, workflow, status, parentStepKey })) });
        process.stdout.write(`${style.bold(run.workflow)}  ${run.id}  ${colorStatus(run.status)}  ${formatTime(run.createdAt)}  ${formatDuration(run.endedAt ? run.endedAt - run.createdAt : null)}\n`);
        if (run.goal) process.stdout.write(`goal: ${run.goal}\n`);
        process.stdout.write("\n");
        // Child workflows are runs of their own: their steps are shown under the step that started them.
        const rows: Array<Array<string | number>> = [];
        const addRows = async (entries: typeof steps, prefix: string, childRuns: typeof children) => {
          for (const step of entries) {
            rows.push([prefix + indent(step.key), step.agent ?? step.type, colorStatus(step.status), step.attempt, formatDuration(step.durationMs)]);
            const child = childRuns.find((candidate) => candidate.parentStepKey === step.key);
            if (!child) continue;
            rows.push([`${prefix}  ↳ run ${child.id}`, child.workflow, colorStatus(child.status), "", ""]);
            const childSteps = (await Journal.load(store, child.id)).entries().sort((a, b) => compareKeys(a.key, b.key));
            await addRows(childSteps, `${prefix}    `, await listRunRecords(store.db, { parentRunId: child.id, limit: 1000 }));
          }
        };
        await addRows(steps, "", children);
        process.stdout.write(`${renderTable(["STEP", "AGENT", "STATUS", "ATTEMPTS", "DURATION"], rows)}\n`);
        if (run.error) process.stdout.write(`\n${style.red(`error [${run.error.code}]`)}: ${run.error.message}\n`);
      });
    });
}

function indent(key: string): string {
  const depth = (key.match(/\//g) ?? []).length;
  return `${"  ".repeat(depth)}${key}`;
}

function colorStatus(status: string): string {
  if (status === "completed") return style.green(status);
  if (status === "failed") return style.red(status);
  return style.yellow(status);
}
