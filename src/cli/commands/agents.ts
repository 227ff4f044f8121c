import type { Command } from "commander";
import { CadreError } from "../../errors.ts";
import { recordReview, setAgentStatus } from "../../governance/admin.ts";
import { listInventory } from "../../governance/reports.ts";
import type { Store } from "../../store/store.ts";
import { globalOptions, withExistingStore, withReadOnlyStore } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatMoney, formatTime, renderTable } from "../table.ts";

const principal = () => process.env.CADRE_PRINCIPAL ?? process.env.USER ?? "operator";

export function registerAgentsCommands(program: Command): void {
  const agents = program
    .command("agents")
    .description("the agent inventory: owner, risk, data access, status, reviews, spend")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      await withReadOnlyStore(global, async (store) => {
        const rows = await listInventory(store.db, Date.now());
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
    });

  agents
    .command("revoke <name>")
    .description("revoke an agent: its next gateway call is refused, in every run")
    .option("--reason <text>", "why (recorded in the audit log)")
    .action(async (name: string, options: { reason?: string }, command: Command) => {
      await changeAgent(command, name, `revoked ${name}`, (store) => setAgentStatus({ store, principal: principal() }, { agent: name, status: "revoked", reason: options.reason }));
    });

  agents
    .command("restore <name>")
    .description("restore a revoked agent")
    .action(async (name: string, _options: unknown, command: Command) => {
      await changeAgent(command, name, `restored ${name}`, (store) => setAgentStatus({ store, principal: principal() }, { agent: name, status: "active" }));
    });

  agents
    .command("review <name>")
    .description("record a review of the agent; the next one falls due after its review cadence")
    .option("--note <text>", "what was reviewed")
    .action(async (name: string, options: { note?: string }, command: Command) => {
      await changeAgent(command, name, `recorded a review of ${name}`, (store) => recordReview({ store, principal: principal() }, { agent: name, note: options.note }));
    });
}

/** Runs an operator action on one agent, then reports it: a line of text, or with --json the agent's inventory row as it now is. */
async function changeAgent(command: Command, agent: string, done: string, action: (store: Store) => Promise<void>): Promise<void> {
  const global = globalOptions(command);
  await withExistingStore(global, async (store) => {
    await requireKnownAgent(store, agent);
    await action(store);
    if (global.json) return printJson((await listInventory(store.db, Date.now())).find((row) => row.name === agent));
    process.stdout.write(`${done}\n`);
  });
}

/** Refuses a name that is not in the inventory, listing the names that are, so every command taking an agent answers a typo alike. */
export async function requireKnownAgent(store: Store, agent: string): Promise<void> {
  const names = (await store.db.selectFrom("agents").select("name").orderBy("name").execute()).map((row) => row.name);
  if (names.includes(agent)) return;
  const known = names.length === 0 ? "The inventory is empty: agents are recorded when a runtime opens with them." : `Known agents: ${names.join(", ")}.`;
  throw new CadreError("UNKNOWN_AGENT", "input", `No agent named "${agent}" in the inventory of ${store.location}. ${known}`, { details: { agent, known: names } });
}

export { principal };
