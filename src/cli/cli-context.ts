import type { Command } from "commander";
import { openStore, type OpenStoreOptions } from "../store/open-store.ts";
import { Operator } from "../operator/operator.ts";
import type { Store } from "../store/store.ts";
import type { Workflow } from "../workflow/define-workflow.ts";
import type { Runtime } from "../workflow/runtime.ts";
import { loadConfig, type CadreConfig } from "./config.ts";

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  store?: string;
  config?: string;
  json?: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

function storeLocation(options: GlobalOptions, config: CadreConfig): string | undefined {
  return options.store ?? process.env.CADRE_STORE ?? config.store;
}

/** What a command adds to the runtime it opens: a lease length, workflows of its own made from the config (an agent's evaluation workflow). */
export interface RuntimeExtras {
  leaseMs?: number;
  dispatch?: "queue";
  /** False: write no inventory, budgets or policy records (a replay). */
  provision?: boolean;
  workflows?: (config: CadreConfig) => Workflow[];
}

/** Opens the runtime with the user's agents and workflows, runs `work`, and always closes it. */
export async function withRuntime<T>(options: GlobalOptions, work: (runtime: Runtime, config: CadreConfig) => Promise<T>, extra: RuntimeExtras = {}): Promise<T> {
  const { config } = await loadConfig(options.config);
  // Loaded here, not at the top: commands that only read the store start without the runtime and its dependencies.
  const { Runtime } = await import("../workflow/runtime.ts");
  const { workflows, ...runtimeOptions } = extra;
  // A config holds exactly the runtime's options (unknown keys were refused when it loaded).
  const runtime = await Runtime.open({ ...config, store: storeLocation(options, config), ...runtimeOptions, workflows: [...(config.workflows ?? []), ...(workflows?.(config) ?? [])] });
  try {
    return await work(runtime, config);
  } finally {
    await runtime.close();
  }
}

/** Who the CLI acts as in the audit log: $CADRE_PRINCIPAL, else the login name. */
export function cliPrincipal(): string {
  return process.env.CADRE_PRINCIPAL ?? process.env.USER ?? "operator";
}

/** The operator API over a store a runtime has open: for what `run`, `resume` and `approve` read and decide. */
export function operatorFor(store: Store, config: CadreConfig = {}): Operator {
  return new Operator(store, { principal: cliPrincipal(), ...(config.models ? { models: config.models } : {}) });
}

/** Opens the store (creating it if needed) for an operator: for commands that change the ledger or the audit log without user code. */
export async function withOperator<T>(options: GlobalOptions, work: (operator: Operator) => Promise<T>): Promise<T> {
  return usingOperator(options, {}, work);
}

/** Opens a store that must already exist (STORE_NOT_FOUND otherwise): for commands that change what it holds, such as an agent's status or grants. */
export async function withExistingOperator<T>(options: GlobalOptions, work: (operator: Operator) => Promise<T>): Promise<T> {
  return usingOperator(options, { mustExist: true }, work);
}

/**
 * Opens an existing store without writing to it: for commands that only read. They work on a
 * read-only store, and a mistyped --store is an error (STORE_NOT_FOUND) rather than a new, empty store.
 */
export async function withReadOnlyOperator<T>(options: GlobalOptions, work: (operator: Operator) => Promise<T>): Promise<T> {
  return usingOperator(options, { readOnly: true }, work);
}

async function usingOperator<T>(options: GlobalOptions, open: OpenStoreOptions, work: (operator: Operator) => Promise<T>): Promise<T> {
  const { config } = await loadConfig(options.config).catch(() => ({ config: {} as CadreConfig }));
  const store = await openStore(storeLocation(options, config), open);
  try {
    return await work(operatorFor(store, config));
  } finally {
    await store.close();
  }
}
