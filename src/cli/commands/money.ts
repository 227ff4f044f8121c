import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import { usd } from "../../governance/money.ts";
import type { SpendGrouping } from "../../governance/reports.ts";
import { spendGroupings } from "../../operator/budgets.ts";
import { globalOptions, withOperator, withReadOnlyOperator } from "../cli-context.ts";
import { parseDollars, printJson } from "../io.ts";
import { describeSpendView } from "../spend-view.ts";
import { formatMoney, renderTable } from "../table.ts";

/** `cadre spend` and `cadre budget`: where the money went, and where it comes from. */
export function registerMoneyCommands(program: Command): void {
  program
    .command("spend")
    .description("cost attribution: charges grouped by agent, tool, run or day")
    .option("--run <runId>", "only this run and its child workflows' runs (paid from its budget)")
    .option("--no-children", "with --run: leave out the child runs")
    .option("--agent <name>", "only this agent")
    .option("--by <grouping>", "agent | tool | model | run | day", "agent")
    .action(async (options: { run?: string; agent?: string; by: string; children: boolean }, command: Command) => {
      const global = globalOptions(command);
      if (!spendGroupings.includes(options.by as SpendGrouping)) throw new InputValidationError({ message: `--by must be agent, tool, model, run or day; got "${options.by}".` });
      const view = { by: options.by as SpendGrouping, runId: options.run, agent: options.agent, includeChildRuns: options.children };
      await withReadOnlyOperator(global, async (operator) => {
        const rows = await operator.budgets.spend(view);
        if (global.json) return printJson(rows);
        const total = (pick: (row: (typeof rows)[number]) => number) => rows.reduce((sum, row) => sum + pick(row), 0);
        const tokens = (input: number, output: number) => (input + output > 0 ? `${input.toLocaleString("en-US")} / ${output.toLocaleString("en-US")}` : "-");
        process.stdout.write(
          `${renderTable(
            [options.by.toUpperCase(), "CHARGES", "TOKENS IN / OUT", "SPENT"],
            [
              ...rows.map((row) => [row.key, row.calls, tokens(row.inputTokens, row.outputTokens), formatMoney(row.spentMicros)]),
              ["total", total((row) => row.calls), tokens(total((row) => row.inputTokens), total((row) => row.outputTokens)), formatMoney(total((row) => row.spentMicros))],
            ],
          )}\n${await describeSpendView(operator, view)}\n`,
        );
      });
    });

  const budget = program
    .command("budget")
    .description("treasury, workflow and cap accounts (--run R for one run's accounts)")
    .option("--run <runId>", "the accounts of one run")
    .action(async (options: { run?: string }, command: Command) => {
      const global = globalOptions(command);
      const rows = await withReadOnlyOperator(global, (operator) => operator.budgets.accounts({ runId: options.run }));
      if (global.json) return printJson(rows);
      process.stdout.write(`${renderTable(["ACCOUNT", "KIND", "BALANCE", "HELD", "SPENT"], rows.map((row) => [row.id, row.kind, formatMoney(row.balanceMicros), formatMoney(row.reservedMicros), formatMoney(row.spentMicros)]))}\n`);
    });

  budget
    .command("fund <dollars>")
    .description("deposit money into the treasury, or with --workflow straight into a workflow's budget, or with --run into one unfinished run")
    .option("--workflow <name>", "allocate the deposit to this workflow")
    .option("--run <runId>", "give the deposit to this run (raises its budget; `cadre resume` re-funds a failed run up to it)")
    .action(async (dollars: string, _options: unknown, command: Command) => {
      const amount = parseDollars(dollars);
      // `budget` has a --run of its own (which run's accounts to list): read the merged options.
      const options = command.optsWithGlobals() as { workflow?: string; run?: string };
      const global = globalOptions(command);
      if (options.workflow && options.run) throw new InputValidationError({ message: "Pass --workflow or --run, not both: a deposit goes to one place." });
      const funded = await withOperator(global, (operator) => operator.budgets.fund({ amountMicros: usd(amount), workflow: options.workflow, runId: options.run }));
      if (global.json) return printJson(funded);
      process.stdout.write(`funded ${formatMoney(funded.fundedMicros)}${options.workflow ? ` to ${options.workflow}` : options.run ? ` to run ${options.run}` : " to the treasury"}\n`);
    });
}
