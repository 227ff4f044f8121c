import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigurationError } from "../errors.ts";
import { configKeys, type CadreConfig } from "../workflow/config-shape.ts";

export type { CadreConfig } from "../workflow/config-shape.ts";

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
  if (!existsSync(path)) throw new ConfigurationError({ message: `Config file ${path} does not exist.`, fix: "Pass --config with the path of your cadre.config.ts.", path });
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigurationError({ message: `Could not load ${path}: ${error instanceof Error ? error.message : String(error)}`, path }, { cause: error });
  }
  const config = module.default;
  if (typeof config !== "object" || config === null) {
    throw new ConfigurationError({ message: `${path} must default-export a config object: export default defineConfig({ agents, workflows }).`, path });
  }
  const unknown = Object.keys(config).filter((key) => !(configKeys as readonly string[]).includes(key));
  if (unknown.length > 0) {
    const key = unknown[0]!;
    const near = configKeys.find((known) => known.toLowerCase() === key.toLowerCase() || editDistance(known, key) <= 2);
    throw new ConfigurationError({ message: `${path} has an unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ""}. A config may hold: ${configKeys.join(", ")}.`, path, field: key, unknown, known: configKeys });
  }
  return { config: config as CadreConfig, path };
}

/** Levenshtein distance, for "did you mean" on a misspelled key. */
function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= right.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[right.length]!;
}
