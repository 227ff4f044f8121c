import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/store/open-store.ts";

const cliPath = join(import.meta.dirname, "../dist/cli/main.js");

/**
 * How long the built CLI takes to start and answer (`npm run build` first): `--help`, and
 * `runs --json` on a fresh store, against plain `node -e 0` as the floor. Each command runs
 * `runs` times after `warmUps` unmeasured runs (which also fill Node's compile cache, as a
 * person's earlier commands would); a last figure shows `--help` with that cache off.
 */
export async function benchCliStartup(options: { runs?: number; warmUps?: number } = {}): Promise<string[]> {
  const runs = options.runs ?? 20;
  const warmUps = options.warmUps ?? 3;
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-cli-"));
  try {
    const store = join(directory, "cadre.db");
    await (await openStore(store)).close();
    const cases: Array<[string, string[], Record<string, string>?]> = [
      ["node -e 0 (the floor)", ["-e", "0"]],
      ["cadre --help", [cliPath, "--help"]],
      ["cadre runs --json (fresh store)", [cliPath, "--store", store, "runs", "--json"]],
      ["cadre --help, compile cache off", [cliPath, "--help"], { NODE_DISABLE_COMPILE_CACHE: "1" }],
    ];
    return cases.map(([name, args, env]) => {
      const times = timeCommand(args, { cwd: directory, env: { ...process.env, ...env }, runs, warmUps });
      return `  ${name.padEnd(42)} median ${times.median.toFixed(0)} ms (min ${times.min.toFixed(0)}, max ${times.max.toFixed(0)}; ${runs} runs)`;
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function timeCommand(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; runs: number; warmUps: number }): { median: number; min: number; max: number } {
  const durations: number[] = [];
  for (let index = 0; index < options.warmUps + options.runs; index += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    if (index >= options.warmUps) durations.push(elapsed);
  }
  durations.sort((left, right) => left - right);
  return { median: durations[Math.floor(durations.length / 2)]!, min: durations[0]!, max: durations.at(-1)! };
}

if (import.meta.main) {
  process.stdout.write("CLI start-up (built CLI, spawned like a person would run it)\n");
  for (const line of await benchCliStartup()) process.stdout.write(`${line}\n`);
}
