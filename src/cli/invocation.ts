import { existsSync, realpathSync } from "node:fs";
import { delimiter, join, sep } from "node:path";
import type { GlobalOptions } from "./cli-context.ts";

/**
 * How a person can type this CLI: `cadre` when a `cadre` on their PATH is this very script,
 * else `npx cadre`. PATH entries inside `node_modules/.bin` are left out: npm and npx add
 * them for the command they run, the person's own shell does not have them.
 */
export function cadreCommand(): string {
  const script = realPath(process.argv[1]);
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((directory) => directory !== "" && !directory.includes(`node_modules${sep}.bin`))
    .some((directory) => realPath(join(directory, "cadre")) === script);
  return script !== undefined && onPath ? "cadre" : "npx cadre";
}

/**
 * A command to paste, with the --store and --config this process was given (so it reaches the
 * same store and workflows); `storeOnly` for commands that read the store without user code.
 */
export function commandLine(global: GlobalOptions, args: readonly string[], options: { storeOnly?: boolean } = {}): string {
  const config = global.config && !options.storeOnly ? ["--config", global.config] : [];
  const flags = [...(global.store ? ["--store", global.store] : []), ...config];
  return [cadreCommand(), ...[...args, ...flags].map(shellQuote)].join(" ");
}

function realPath(path: string | undefined): string | undefined {
  if (!path || !existsSync(path)) return undefined;
  return realpathSync(path);
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
