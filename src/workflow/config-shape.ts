import type { RuntimeOptions } from "./runtime-options.ts";

// Types and a list only: the CLI reads this for every command, so it must load nothing heavy.

/**
 * What a `cadre.config.ts` default-exports: the runtime's options, with the store as a
 * location (overridden by --store and CADRE_STORE). Clock, id source and `provision` stay in code.
 */
export type CadreConfig = Omit<RuntimeOptions, "store" | "now" | "generateId" | "provision"> & { store?: string };

/** Every key a config may hold: anything else is a mistake and is refused. */
export const configKeys = ["agents", "workflows", "store", "principal", "leaseMs", "blockOverdueReviews", "models", "knowledge", "maxPayloadBytes", "audit", "telemetry", "observers", "dispatch", "queue", "policies", "expose", "mcpServers"] as const satisfies ReadonlyArray<keyof CadreConfig>;

// The list above must name every key of CadreConfig: this fails to compile when one is missing.
type MissingConfigKey = Exclude<keyof CadreConfig, (typeof configKeys)[number]>;
export const everyConfigKeyListed: MissingConfigKey extends never ? true : MissingConfigKey = true;
