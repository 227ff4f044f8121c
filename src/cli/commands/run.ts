import type { Command } from "commander";
import type { Operator } from "../../operator/operator.ts";
import type { RunCost } from "../../operator/runs.ts";
import type { Runtime, RunResult } from "../../workflow/runtime.ts";
import { globalOptions, operatorFor, withRuntime, type GlobalOptions } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";
import { commandLine } from "../invocation.ts";
import { printJson, readJsonInput, style } from "../io.ts";
import { attachProgress } from "../progress.ts";
import { formatMoney } from "../table.ts";

export function registerRunCommands(program: Command): void {
  program
    .command("run <workflow>")
    .description("start a run of a workflow and wait for it")
    .option("-i, --input <json|@file|->", "workflow input as JSON, @path to a JSON file, or - for stdin", "{}")
    .option("--goal <text>", "the run's goal (default: derived by the workflow from its input)")
    .option("--quiet", "no progress output")
    .option("--detach", "hand the run to worker processes (`cadre worker`; needs a PostgreSQL store) and print its id at once")
    .action(async (workflow: string, options: { input: string; goal?: string; quiet?: boolean; detach?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const input = readJsonInput(options.input);
      if (options.detach) {
        return withRuntime(
          global,
          async (runtime) => {
            const handle = await runtime.start(workflow, input, { goal: options.goal });
            if (global.json) printJson({ runId: handle.runId });
            else process.stdout.write(`${handle.runId}\n`);
          },
          { dispatch: "queue" },
        );
      }
      await withRuntime(global, async (runtime) => {
        const detach = options.quiet || global.json ? () => {} : attachProgress(runtime);
        const handle = await runtime.start(workflow, input, { goal: options.goal });
        if (!global.json) process.stderr.write(`${style.dim(`run ${handle.runId}`)}\n`);
        const result = await untilInterrupted(runtime, global, handle.runId, handle.result());
        detach();
        await report(result, { global, operator: operatorFor(runtime.store) });
      });
    });

  program
    .command("resume <runId>")
    .description("resume an interrupted, failed or approved run from its journal")
    .option("--force", "take over the run even if another process holds its lease")
    .option("--quiet", "no progress output")
    .action(async (runId: string, options: { force?: boolean; quiet?: boolean }, command: Command) => {
      const global = globalOptions(command);
      await withRuntime(global, async (runtime) => {
        const detach = options.quiet || global.json ? () => {} : attachProgress(runtime);
        const handle = await runtime.resume(runId, { force: options.force });
        const result = await untilInterrupted(runtime, global, runId, handle.result());
        detach();
        await report(result, { global, operator: operatorFor(runtime.store) });
      });
    });
}

/**
 * Ctrl-C stops the run cleanly: in-flight steps are aborted (their holds released), the lease
 * is given up, and the run can be resumed at once with `cadre resume`.
 */
async function untilInterrupted(runtime: Runtime, global: GlobalOptions, runId: string, result: Promise<RunResult>): Promise<RunResult> {
  const onSignal = () => {
    process.stderr.write(`\n${style.yellow("interrupted")}: stopping run ${runId}; continue it with: ${commandLine(global, ["resume", runId])}\n`);
    process.exitCode = ExitCode.interrupted;
    void runtime.close();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await result;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * Prints the output on stdout; on stderr the status, what the run cost, and for a waiting run
 * what it waits for with the command that answers it. Sets the exit code: 0 completed/partial,
 * 1 failed, 3 waiting.
 */
export async function report(result: RunResult, context: { global: GlobalOptions; operator: Operator }): Promise<void> {
  // Ctrl-C closed the runtime and its store: there is nothing more to read.
  const interrupted = process.exitCode === ExitCode.interrupted;
  const cost = interrupted ? undefined : await context.operator.runs.cost(result.runId);
  if (context.global.json) printJson({ ...result, cost });
  else {
    if (result.output !== undefined) printJson(result.output);
    const status = result.status === "completed" ? style.green(result.status) : result.status === "failed" ? style.red(result.status) : style.yellow(result.status);
    process.stderr.write(`${status} ${style.dim(result.runId)}  inspect: ${commandLine(context.global, ["show", result.runId], { storeOnly: true })}\n`);
    if (result.error) process.stderr.write(`${style.red(`error [${result.error.code}]`)}: ${result.error.message}\n`);
    if (result.status === "waiting" && !interrupted) process.stderr.write(await describeWaits(context.global, context.operator, result.runId));
    if (cost) process.stderr.write(`${describeCost(cost)}\n`);
  }
  if (interrupted) return;
  process.exitCode = result.status === "failed" ? ExitCode.failed : result.status === "waiting" ? ExitCode.waiting : ExitCode.ok;
}

/** One line per thing the run waits for, with the exact command that answers it. */
async function describeWaits(global: GlobalOptions, operator: Operator, runId: string): Promise<string> {
  const lines = (await operator.runs.waits(runId)).map((wait) => {
    const where = wait.runId === runId ? "" : ` (in child run ${wait.runId})`;
    if (wait.kind === "approval") {
      return `waiting for approval "${wait.name}"${where}; decide with: ${commandLine(global, ["approve", wait.runId, wait.name])}  (or reject: same command with "reject")`;
    }
    return `waiting for event "${wait.topic}"${where}; publish it with: ${commandLine(global, ["emit", wait.topic, "--data", "{}"])}`;
  });
  return lines.map((line) => `${style.yellow(line)}\n`).join("");
}

function describeCost(cost: RunCost): string {
  if (cost.charges === 0) return "cost $0 (no charges)";
  const tokens = cost.inputTokens + cost.outputTokens > 0 ? `; tokens ${cost.inputTokens.toLocaleString("en-US")} in / ${cost.outputTokens.toLocaleString("en-US")} out` : "";
  return `cost ${formatMoney(cost.spentMicros)} (${cost.charges} ${cost.charges === 1 ? "charge" : "charges"}${tokens})`;
}
