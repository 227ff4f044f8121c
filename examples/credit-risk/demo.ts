/**
 * The credit-risk demo: `npm run demo` (options: --applicant A-1003, --store path).
 * Starts a local credit bureau over HTTP, runs the durable credit-decision workflow on the
 * embedded SQLite store and prints the decision, each agent's duration, the wall time of the
 * parallel stage against the sum of its workers, and the run id to inspect.
 */
import { parseArgs } from "node:util";
import { Runtime, formatUsd, spendReport, verifyAuditChain, type JournalEntry } from "cadre";
import { creditAgents } from "./agents.ts";
import { startBureauServer } from "./bureau-server.ts";
import { creditDecision } from "./workflow.ts";

const { values } = parseArgs({
  options: {
    applicant: { type: "string", multiple: true },
    store: { type: "string" },
  },
});
const applicants = values.applicant ?? ["A-1001", "A-1002", "A-1003"];

const bureau = await startBureauServer();
process.env.CADRE_BUREAU_URL = bureau.url;
const runtime = await Runtime.open({ store: values.store, agents: creditAgents, workflows: [creditDecision] });
const ms = (value: number) => `${Math.round(value)} ms`.padStart(7);
let failed = 0;

try {
  console.log(`Cadre credit-risk demo · store ${runtime.store.location} · bureau ${bureau.url}\n`);
  for (const applicantId of applicants) {
    const started = performance.now();
    const handle = await runtime.start(creditDecision, { applicantId });
    const result = await handle.result();
    const wall = performance.now() - started;
    if (result.status !== "completed" || !result.output) {
      failed += 1;
      console.log(`${applicantId}: run ${result.status}: ${result.error?.code} ${result.error?.message}\n`);
      continue;
    }
    const decision = result.output;
    console.log(`${applicantId}: ${decision.decision.toUpperCase()}  score ${decision.score}/1000  limit $${(decision.limitMicros / 1_000_000).toLocaleString("en-US")}`);
    for (const reason of decision.reasons) console.log(`    · ${reason}`);

    const steps = (await runtime.getSteps(handle.runId)).filter((step) => step.type === "agent");
    const parallel = steps.filter((step) => step.key.startsWith("2."));
    const spend = new Map((await spendReport(runtime.store.db, { by: "agent", runId: handle.runId })).map((row) => [row.key, row.spentMicros]));
    console.log("\n    agent            duration      cost");
    for (const step of [...steps].sort(byStart)) console.log(`    ${step.name.padEnd(16)} ${ms(step.durationMs ?? 0)} ${formatUsd(spend.get(step.name) ?? 0).padStart(9)}`);
    console.log(`    ${"run total".padEnd(16)} ${ms(wall)} ${formatUsd([...spend.values()].reduce((sum, value) => sum + value, 0)).padStart(9)}`);
    const sum = parallel.reduce((total, step) => total + (step.durationMs ?? 0), 0);
    const stage = Math.max(...parallel.map((step) => step.endedAt ?? 0)) - Math.min(...parallel.map((step) => step.startedAt));
    console.log(`\n    parallel stage ${ms(stage)} wall vs ${ms(sum)} sum of its 3 workers (${(sum / Math.max(stage, 1)).toFixed(1)}× faster than serial)`);
    console.log(`    inspect: npx cadre show ${handle.runId}\n`);
  }
  const audit = await verifyAuditChain(runtime.store.db);
  console.log(audit.ok ? `audit log: ${audit.records} records, hash chain intact (cadre audit verify)` : `audit log BROKEN at record ${audit.brokenAt}: ${audit.reason}`);
  if (!audit.ok) failed += 1;
} finally {
  await runtime.close();
  await bureau.close();
}
process.exitCode = failed > 0 ? 1 : 0;

function byStart(left: JournalEntry, right: JournalEntry): number {
  return left.startedAt - right.startedAt || left.key.localeCompare(right.key);
}
