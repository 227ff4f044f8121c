/**
 * `npm run bench`: prints speed and memory figures. Targets are printed beside the figures,
 * never asserted: performance is measured here, not in unit tests.
 */
import { benchEngine, type Figure } from "./engine.ts";
import { benchGovernance } from "./governance.ts";

const sections: Array<[string, () => Promise<Figure[]>]> = [
  ["engine (SQLite file, durable, governed and audited)", benchEngine],
  ["gateway (authorize + reserve + settle + audit, journaled)", benchGovernance],
];

for (const [title, run] of sections) {
  process.stdout.write(`\n${title}\n`);
  for (const figure of await run()) {
    process.stdout.write(`  ${figure.name.padEnd(36)} ${figure.value}${figure.target ? `   target ${figure.target}` : ""}\n`);
  }
}
