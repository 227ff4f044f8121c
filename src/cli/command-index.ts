import type { Command } from "commander";

type Register = (program: Command) => void;

// One loader per command module: a command's module (and what it imports) loads only when that command runs.
const runCommands = async (): Promise<Register> => (await import("./commands/run.ts")).registerRunCommands;
const runsCommands = async (): Promise<Register> => (await import("./commands/runs.ts")).registerRunsCommands;
const agentsCommands = async (): Promise<Register> => (await import("./commands/agents.ts")).registerAgentsCommands;
const accessCommands = async (): Promise<Register> => (await import("./commands/access.ts")).registerAccessCommands;
const moneyCommands = async (): Promise<Register> => (await import("./commands/money.ts")).registerMoneyCommands;
const auditCommands = async (): Promise<Register> => (await import("./commands/audit.ts")).registerAuditCommands;
const evalCommands = async (): Promise<Register> => (await import("./commands/eval.ts")).registerEvalCommands;
const costCommands = async (): Promise<Register> => (await import("./commands/cost.ts")).registerCostCommands;
const workerCommands = async (): Promise<Register> => (await import("./commands/workers.ts")).registerWorkerCommands;
const debugCommands = async (): Promise<Register> => (await import("./commands/debug.ts")).registerDebugCommands;
const knowledgeCommands = async (): Promise<Register> => (await import("./commands/knowledge.ts")).registerKnowledgeCommands;
const policyCommands = async (): Promise<Register> => (await import("./commands/policy.ts")).registerPolicyCommands;
const approvalCommands = async (): Promise<Register> => (await import("./commands/approvals.ts")).registerApprovalCommands;
const serveCommands = async (): Promise<Register> => (await import("./commands/serve.ts")).registerServeCommands;
const x402Commands = async (): Promise<Register> => (await import("./commands/x402.ts")).registerX402Commands;
const mcpCommands = async (): Promise<Register> => (await import("./commands/mcp.ts")).registerMcpCommands;

/** A top-level command as the root help lists it, and the loader of the module that defines it. */
export interface IndexedCommand {
  usage: string;
  summary: string;
  load: () => Promise<Register>;
}

/**
 * Every top-level command, in the order `cadre --help` lists them. The root help is drawn
 * from this index alone, so it needs neither the store driver nor the workflow runtime.
 */
export const commandIndex: readonly IndexedCommand[] = [
  { usage: "run <workflow>", summary: "start a run of a workflow and wait for it", load: runCommands },
  { usage: "resume <runId>", summary: "resume an interrupted, failed or approved run from its journal", load: runCommands },
  { usage: "cancel <runId>", summary: "cancel a run and its unfinished child runs (holds released, budget returned, audited)", load: runCommands },
  { usage: "replay <runId>", summary: "re-execute a run against its journal with no effects; fail where the code diverges", load: debugCommands },
  { usage: "fork <runId>", summary: "start a new run from a step of a run, reusing the steps before it", load: debugCommands },
  { usage: "runs", summary: "list runs, newest first", load: runsCommands },
  { usage: "show <runId>", summary: "show a run and its step tree", load: runsCommands },
  { usage: "agents", summary: "the agent inventory; revoke, restore, review", load: agentsCommands },
  { usage: "keys", summary: "agent credentials and operator keys for the HTTP API: create, rotate, revoke, list", load: accessCommands },
  { usage: "grants <agent>", summary: "list an agent's grants; --add or --revoke to change them", load: accessCommands },
  { usage: "spend", summary: "cost attribution: charges grouped by agent, tool, model, run or day", load: moneyCommands },
  { usage: "cost", summary: "token economics: tokens and cost per run by agent and model, projection, what-if, baseline", load: costCommands },
  { usage: "budget", summary: "treasury, workflow and cap accounts; budget fund", load: moneyCommands },
  { usage: "eval <target>", summary: "score a router or agent over a labelled dataset; eval list, eval show", load: evalCommands },
  { usage: "audit", summary: "the hash-chained audit log: verify, export", load: auditCommands },
  { usage: "policy", summary: "the organisation's Cedar policies: validate, test, explain, schema", load: policyCommands },
  { usage: "approvals", summary: "approvals that runs are waiting for", load: approvalCommands },
  { usage: "approve <runId> <approval>", summary: "approve what a waiting run asked for, then resume it", load: approvalCommands },
  { usage: "reject <runId> <approval>", summary: "reject what a waiting run asked for, then resume it", load: approvalCommands },
  { usage: "worker", summary: "execute runs handed to workers (dispatch: queue) until SIGTERM", load: workerCommands },
  { usage: "workers", summary: "live worker processes: labels, host, pid, runs held, heartbeat", load: workerCommands },
  { usage: "emit <topic>", summary: "publish an event: waiting runs resume, subscribed workflows start", load: approvalCommands },
  { usage: "serve", summary: "serve the HTTP API and live events; --dev for a local playground without keys", load: serveCommands },
  { usage: "mcp", summary: "serve the exposed workflows and agents as MCP tools over stdio (for MCP clients and the Inspector)", load: mcpCommands },
  { usage: "knowledge", summary: "knowledge collections: add files, list, search, remove", load: knowledgeCommands },
  { usage: "memory", summary: "agents' long-term memory: forget a principal (audited)", load: knowledgeCommands },
  { usage: "x402", summary: "paid HTTP: agents' payment keys, trusted payers, payments received", load: x402Commands },
];

export function commandName(command: IndexedCommand): string {
  return command.usage.split(" ")[0]!;
}

/**
 * The top-level command the arguments ask for (`help <command>` asks for that command), or
 * undefined when they name none. `valueOptions` are the global options that take a value.
 */
export function requestedCommand(args: readonly string[], valueOptions: ReadonlySet<string>): IndexedCommand | undefined {
  const positionals: string[] = [];
  for (let index = 0; index < args.length && positionals.length < 2; index += 1) {
    const arg = args[index]!;
    if (!arg.startsWith("-")) positionals.push(arg);
    else if (valueOptions.has(arg)) index += 1;
  }
  const [first, second] = positionals;
  const name = first === "help" ? second : first;
  return commandIndex.find((command) => commandName(command) === name);
}
