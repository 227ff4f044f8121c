import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Agent } from "../agent/define-agent.ts";
import { ConfigurationError } from "../errors.ts";
import type { ModelConfig } from "../models/model-registry.ts";
import type { Workflow } from "../workflow/define-workflow.ts";

/** What a `cadre.config.ts` default-exports. */
export interface CadreConfig {
  agents?: Agent[];
  workflows?: Workflow[];
  /** Store location; overridden by --store and CADRE_STORE. */
  store?: string;
  principal?: string;
  /** Providers, tiers and prices for model-backed agents. */
  models?: ModelConfig;
  /** Refuse calls to high-risk agents whose review is overdue (REVIEW_OVERDUE) instead of only listing them. */
  blockOverdueReviews?: boolean;
  /** The largest JSON value a run may journal (default 8 MiB): larger inputs are refused with PAYLOAD_TOO_LARGE. */
  maxPayloadBytes?: number;
  /** Signed audit checkpoints: key paths (CADRE_AUDIT_KEY overrides signingKey) and an outside checkpoint file. */
  audit?: import("../governance/audit-signing-key.ts").AuditSigningOptions;
  [extension: string]: unknown;
}

export const configFileNames = ["cadre.config.ts", "cadre.config.mts", "cadre.config.js", "cadre.config.mjs"];

/** Identity helper so config files get type checking. */
export function defineConfig(config: CadreConfig): CadreConfig {
  return config;
}

/**
 * Loads the user's config with Node's own TypeScript support. Returns an empty config when
 * no file exists and none was asked for, so store-only commands work anywhere.
 */
export async function loadConfig(explicitPath?: string, cwd = process.cwd()): Promise<{ config: CadreConfig; path: string | null }> {
  const path = explicitPath ? resolve(cwd, explicitPath) : configFileNames.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
  if (!path) return { config: {}, path: null };
  if (!existsSync(path)) throw new ConfigurationError(`Config file ${path} does not exist. Pass --config with the path of your cadre.config.ts.`, { details: { path } });
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigurationError(`Could not load ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, details: { path } });
  }
  const config = module.default;
  if (typeof config !== "object" || config === null) {
    throw new ConfigurationError(`${path} must default-export a config object: export default defineConfig({ agents, workflows }).`, { details: { path } });
  }
  return { config: config as CadreConfig, path };
}
