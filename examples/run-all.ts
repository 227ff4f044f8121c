/**
 * `npm run examples`: runs every example offline (model-backed ones against the local
 * scripted server), one line per example, and exits non-zero if any fails.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const folder = join(import.meta.dirname, "patterns");
const examples = readdirSync(folder).filter((file) => file.endsWith(".ts") && file !== "shared.ts").sort();
let failures = 0;
for (const file of examples) {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_GENERATIVE_AI_API_KEY", "CADRE_OPENAI_BASE_URL"]) delete environment[key];
  const result = spawnSync(process.execPath, [join(folder, file)], { encoding: "utf8", env: environment, timeout: 60_000 });
  if (result.status === 0) process.stdout.write(result.stdout);
  else {
    failures += 1;
    process.stdout.write(`${file.replace(".ts", "").padEnd(20)} FAILED (exit ${result.status}): ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}\n`);
  }
}
process.stdout.write(`\n${examples.length - failures} of ${examples.length} examples ran${failures ? `; ${failures} failed` : ""}\n`);
process.exitCode = failures > 0 ? 1 : 0;
