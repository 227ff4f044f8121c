/**
 * `npm run bench`: prints speed and memory figures (the README's Benchmarks block is a copy of
 * this output). Performance is measured here, never asserted in unit tests. Arguments pick
 * sections by the first word of their titles (`npm run bench -- gateway cli`).
 */
import { benchCliStartup } from "./cli-startup.ts";
import { benchConcurrentRuns } from "./concurrent-runs.ts";
import { benchEngine, type Figure } from "./engine.ts";
import { benchEvaluation } from "./evaluation.ts";
import { benchGovernance } from "./governance.ts";
import { benchPolicies } from "./policies.ts";
import { benchTelemetry } from "./telemetry.ts";
import { benchWorkers } from "./workers.ts";
import { benchServer } from "./server.ts";
import { benchReplay } from "./replay.ts";
import { benchKnowledge } from "./knowledge.ts";

const sections: Array<[string, () => Promise<Figure[]>]> = [
  ["engine (SQLite file, durable, governed and audited)", benchEngine],
  ["gateway (authorize + reserve + settle + audit, journaled)", benchGovernance],
  ["policies (Cedar policy set parsed once per version, decided at every effect)", benchPolicies],
  ["many runs at once (one process, group commit)", benchConcurrentRuns],
  ["OpenTelemetry (a span per step, decisions as events)", benchTelemetry],
  ["evaluation and token economics (scripted model)", benchEvaluation],
  ["workers (PostgreSQL, pg-boss: runs handed to `cadre worker` processes)", benchWorkers],
  ["HTTP API (cadre serve on 127.0.0.1)", benchServer],
  ["debugging a run (SQLite file, no effects on replay)", benchReplay],
  ["knowledge (SQLite file: FTS5 bm25, sqlite-vec cosine, hybrid RRF; search is audited)", benchKnowledge],
];

// `npm run bench -- gateway workers`: only the sections whose titles start with these words.
const only = process.argv.slice(2);
const chosen = only.length === 0 ? sections : sections.filter(([title]) => only.some((word) => title.startsWith(word)));
for (const [title, run] of chosen) {
  process.stdout.write(`\n${title}\n`);
  for (const figure of await run()) {
    process.stdout.write(`  ${figure.name.padEnd(42)} ${figure.value}\n`);
  }
}

if (only.length > 0 && !only.includes("cli")) process.exit(0);
process.stdout.write("\nCLI start-up (the built CLI as a process; node -e 0 is the floor)\n");
for (const line of await benchCliStartup()) process.stdout.write(`  ${line}\n`);
