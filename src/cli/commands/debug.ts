import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import { usd } from "../../governance/money.ts";
import type { ReplayReport } from "../../workflow/replay/replay-run.ts";
import { globalOptions, operatorFor, withRuntime } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";
import { commandLine } from "../invocation.ts";
import { parseDollars, printJson, readJsonInput, style } from "../io.ts";
import { attachProgress } from "../progress.ts";
import { renderTable } from "../table.ts";
import { report, untilInterrupted } from "./run.ts";

export function registerDebugCommands(program: Command): void {
  program
    .command("replay <runId>")
    .description("re-execute a run's workflow against its journal with no effects; fail at the first divergence")
    .option("--width <n>", "characters of each input and output shown in the table (--json prints them whole)", "60")
    .action(async (runId: string, options: { width: string }, command: Command) => {
      const global = globalOptions(command);
      const width = Number(options.width);
      if (!Number.isInteger(width) || width < 10) throw new InputValidationError({ message: `--width must be an integer of at least 10; got "${options.width}".`, width: options.width });
      // A replay writes nothing but its audit record: not even the (perhaps changed) agents' inventory entries.
      const replayed = await withRuntime(global, (runtime) => runtime.replay(runId), { provision: false });
      if (global.json) printJson(replayed);
      else printReplay(replayed, width);
      if (replayed.divergence) {
        if (!global.json) process.stderr.write(`${style.red(`error [${replayed.divergence.code}]`)}: ${replayed.divergence.message}\n`);
        process.exitCode = ExitCode.failed;
      }
    });

  program
    .command("fork <runId>")
    .description("start a new run reusing a run's steps before a step, and execute the rest for real")
    .requiredOption("--from <step>", "the step to execute again from (a key like 3:scoring, or its position 3); the completed steps before it are reused")
    .option("-i, --input <json|@file|->", "the new run's input (default: the parent run's)")
    .option("--override <key=json>", "replace a reused step's output, e.g. '2.0/1:credit-bureau={\"score\":420,...}' (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option("--budget <dollars>", "the fork's budget (default: the workflow's perRun)")
    .option("--quiet", "no progress output")
    .action(async (runId: string, options: { from: string; input?: string; override: string[]; budget?: string; quiet?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const input = options.input === undefined ? undefined : readJsonInput(options.input);
      const overrides = Object.fromEntries(options.override.map(parseOverride));
      const budget = options.budget === undefined ? undefined : usd(parseDollars(options.budget));
      await withRuntime(global, async (runtime) => {
        const detach = options.quiet || global.json ? () => {} : attachProgress(runtime);
        const handle = await runtime.fork(runId, { from: options.from, input, overrides, budget });
        if (!global.json) process.stderr.write(`${style.dim(`run ${handle.runId}, forked from ${runId} at ${(await runtime.getRun(handle.runId))?.forkedFrom?.stepKey ?? options.from}`)}\n`);
        const result = await untilInterrupted(runtime, global, handle.runId, handle.result());
        detach();
        await report(result, { global, operator: operatorFor(runtime.store) });
        if (!global.json && process.exitCode !== ExitCode.interrupted) process.stderr.write(`${style.dim(`compare with the parent: ${commandLine(global, ["show", runId], { storeOnly: true })}`)}\n`);
      });
    });
}

/** `--override <key>=<json>`: the key is everything before the first `=` (keys never contain one). */
function parseOverride(text: string): [string, unknown] {
  const at = text.indexOf("=");
  if (at <= 0) throw new InputValidationError({ message: `--override takes <step key>=<json>, like '2.0/1:credit-bureau={"score":420}'; got "${text}".`, override: text });
  const key = text.slice(0, at);
  try {
    return [key, JSON.parse(text.slice(at + 1))];
  } catch (error) {
    throw new InputValidationError({ message: `The output given to --override ${key} is not valid JSON: ${(error as Error).message}.`, override: key });
  }
}

/** The replayed step tree, each step's input and output as today's code sees them, then the verdict. */
function printReplay(replayed: ReplayReport, width: number): void {
  const verdict = replayed.verdict === "consistent" ? style.green("consistent") : style.red("diverged");
  process.stdout.write(`${style.bold(replayed.workflow)}  ${replayed.runId}  replay ${verdict}  (run ${replayed.runStatus}, replay ${replayed.outcome.status}, ${replayed.steps.length} steps, no effects)\n\n`);
  const cut = (value: unknown) => {
    const text = value === undefined ? "-" : JSON.stringify(value) ?? "-";
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const how = (step: ReplayReport["steps"][number]) => (step.overridden ? "overridden" : step.reexecuted ? "re-executed" : "journal");
  process.stdout.write(
    `${renderTable(
      ["STEP", "TYPE", "STATUS", "FROM", "INPUT", "OUTPUT"],
      replayed.steps.map((step) => [`${"  ".repeat(step.depth)}${step.key}`, step.type, step.status, how(step), cut(step.input), step.error ? style.red(`[${step.error.code}]`) : cut(step.output)]),
    )}\n`,
  );
  if (replayed.outcome.output !== undefined) process.stdout.write(`\noutput ${cut(replayed.outcome.output)}\n`);
}
