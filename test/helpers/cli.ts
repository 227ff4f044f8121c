import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const repositoryRoot = join(import.meta.dirname, "../..");
const cliPath = join(repositoryRoot, "dist/cli/main.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm test` builds first) the way a user would, without a TTY. */
export function cadre(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repositoryRoot,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    input: options.input,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
