import type { Command } from "commander";
import type { Runtime, RunResult } from "../../workflow/runtime.ts";
import { globalOptions, withRuntime } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";
import { printJson, readJsonInput, style } from "../io.ts";
import { attachProgress } from "../progress.ts";

export function registerRunCommands(program: Command): void {
  program
    .command("run <workflow>")
    .description("start a run of a workflow and wait for it")
    .option("-i, --input <json|@file|->", "workflow input as JSON, @path to a JSON file, or - for stdin", "{}")
    .option("--goal <text>", "the run's goal (default: derived by the workflow from its input)")
    .option("--quiet", "no progress output")
    .action(async (workflow: string, options: { input: string; goal?: string; quiet?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const input = readJsonInput(options.input);
      await withRuntime(global, async (runtime) => {
        const detach = options.quiet || global.json ? () => {} : attachProgress(runtime);
        const handle = await runtime.start(workflow, input, { goal: options.goal });
        if (!global.json) process.stderr.write(`${style.dim(`run ${handle.runId}`)}\n`);
        const result = await untilInterrupted(runtime, handle.runId, handle.result());
        detach();
        report(result, Boolean(global.json));
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
        const result = await untilInterrupted(runtime, runId, handle.result());
        detach();
        report(result, Boolean(global.json));
      });
    });
}

/**
 * Ctrl-C stops the run cleanly: in-flight steps are aborted (their holds released), the lease
 * is given up, and the run can be resumed at once with `cadre resume`.
 */
async function untilInterrupted(runtime: Runtime, runId: string, result: Promise<RunResult>): Promise<RunResult> {
  const onSignal = () => {
    process.stderr.write(`\n${style.yellow("interrupted")}: stopping run ${runId}; continue it with: cadre resume ${runId}\n`);
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

/** Prints the output on stdout and sets the exit code: 0 completed/partial, 1 failed, 3 waiting. */
export function report(result: RunResult, json: boolean): void {
  if (json) printJson(result);
  else {
    if (result.output !== undefined) printJson(result.output);
    const status = result.status === "completed" ? style.green(result.status) : result.status === "failed" ? style.red(result.status) : style.yellow(result.status);
    process.stderr.write(`${status} ${style.dim(result.runId)}  inspect: cadre show ${result.runId}\n`);
    if (result.error) process.stderr.write(`${style.red(`error [${result.error.code}]`)}: ${result.error.message}\n`);
  }
  if (process.exitCode === ExitCode.interrupted) return;
  process.exitCode = result.status === "failed" ? ExitCode.failed : result.status === "waiting" ? ExitCode.waiting : ExitCode.ok;
}
