import type { Command } from "commander";
import type { InventoryRow } from "../../governance/reports.ts";
import type { Operator } from "../../operator/operator.ts";
import { globalOptions, withExistingOperator, withReadOnlyOperator } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatMoney, formatTime, renderTable } from "../table.ts";

export function registerAgentsCommands(program: Command): void {
  const agents = program
    .command("agents")
    .description("the agent inventory: owner, risk, data access, status, reviews, spend")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const rows = await withReadOnlyOperator(global, (operator) => operator.agents.list());
      if (global.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write("No agents yet: they are recorded when a runtime opens with them.\n");
      process.stdout.write(
        `${renderTable(
          ["AGENT", "OWNER", "RISK", "DATA", "MODEL", "STATUS", "BREAKER", "LAST REVIEW", "REVIEW DUE", "SPENT"],
          rows.map((row) => [
            row.name,
            row.owner,
            row.risk === "high" ? style.yellow(row.risk) : row.risk,
            row.dataAccess,
            row.model,
            row.status === "revoked" ? style.red(row.status) : row.status,
            row.breaker === "open" ? style.red("open") : row.breaker,
            formatTime(row.lastReviewedAt).slice(0, 10),
            row.reviewDueAt ? (row.reviewOverdue ? style.red(`${formatTime(row.reviewDueAt).slice(0, 10)} overdue`) : formatTime(row.reviewDueAt).slice(0, 10)) : "-",
            formatMoney(row.spentMicros),
          ]),
        )}\n`,
      );
    });

  agents
    .command("revoke <name>")
    .description("revoke an agent: its next gateway call is refused, in every run")
    .option("--reason <text>", "why (recorded in the audit log)")
    .action(async (name: string, options: { reason?: string }, command: Command) => {
      await changeAgent(command, `revoked ${name}`, (operator) => operator.agents.revoke(name, { reason: options.reason }));
    });

  agents
    .command("restore <name>")
    .description("restore a revoked agent")
    .action(async (name: string, _options: unknown, command: Command) => {
      await changeAgent(command, `restored ${name}`, (operator) => operator.agents.restore(name));
    });

  agents
    .command("review <name>")
    .description("record a review of the agent; the next one falls due after its review cadence")
    .option("--note <text>", "what was reviewed")
    .action(async (name: string, options: { note?: string }, command: Command) => {
      await changeAgent(command, `recorded a review of ${name}`, (operator) => operator.agents.review(name, { note: options.note }));
    });
}

/** Runs an operator decision on one agent, then reports it: a line of text, or with --json the agent's inventory row as it now is. */
async function changeAgent(command: Command, done: string, action: (operator: Operator) => Promise<InventoryRow>): Promise<void> {
  const global = globalOptions(command);
  const row = await withExistingOperator(global, action);
  if (global.json) return printJson(row);
  process.stdout.write(`${done}\n`);
}
