/**
 * The credit-risk demo: `npm run demo` (options: --applicant A-1003, --store path, --chaos,
 * --bureau-down). Starts a local credit bureau over HTTP, runs the durable credit-decision
 * workflow on the embedded SQLite store and prints the decision, each agent's duration, the
 * wall time of the parallel stage against the sum of its workers, and the run id to inspect.
 * A run that decided without the bureau ends `partial`: the demo says so and why (exit 0).
 */
import { parseArgs } from "node:util";
import { Runtime, formatUsd, fundBudget, listAccounts, openOperator, readBreakerStates, spendReport, usd, verifyAuditChain, type JournalEntry } from "cadre";
import { creditAgents } from "./agents.ts";
import { creditPolicies } from "./cadre.config.ts";
import { startBureauServer } from "./bureau-server.ts";
import { creditDecision } from "./workflow.ts";

const { values } = parseArgs({
  options: {
    applicant: { type: "string", multiple: true },
    store: { type: "string" },
    chaos: { type: "boolean", default: false },
    "bureau-down": { type: "boolean", default: false },
  },
});
const applicants = values.applicant ?? (values.chaos ? ["A-1001", "A-1004", "A-1005", "A-1006", "A-1007", "A-1008", "A-1009", "A-1010"] : ["A-1001", "A-1002", "A-1003"]);

// --chaos: the bureau fails 70% of requests. The bureau agent's circuit breaker opens after
// three failures in a row, later calls fail fast, and decisions degrade instead of failing.
// --bureau-down: every bureau request fails, so every decision is made without a report.
const bureau = await startBureauServer(values.chaos ? { chaos: { failureRate: 0.7 }, seed: 5, latencyMs: [80, 160] } : values["bureau-down"] ? { chaos: { failureRate: 1 } } : {});
process.env.CADRE_BUREAU_URL = bureau.url;
const runtime = await Runtime.open({ store: values.store, agents: creditAgents, workflows: [creditDecision], policies: creditPolicies });
const operator = openOperator({ store: runtime.store });
const ms = (value: number) => `${Math.round(value)} ms`.padStart(7);
let failed = 0;

try {
  console.log(`Cadre credit-risk demo${values.chaos ? " (chaos: flaky bureau)" : ""} · store ${runtime.store.location} · bureau ${bureau.url}`);
  const policySet = await operator.policies.active();
  console.log(`policies: ${policySet?.policies.map((policy) => policy.id).join(", ")} (version ${runtime.policyVersion}, examples/credit-risk/policies)\n`);
  // The demo pays with play money: when its workflow's budget runs low it deposits more, openly (audited).
  const account = (await listAccounts(runtime.store.db)).find((row) => row.id === "workflow:credit-decision");
  if ((account?.balanceMicros ?? 0) < usd(5)) {
    await fundBudget({ store: runtime.store, principal: "credit-risk demo" }, { amount: usd(25), workflow: "credit-decision", note: "demo play money" });
    console.log(`deposited ${formatUsd(usd(25))} of play money into the credit-decision budget (cadre budget shows it)\n`);
  }
  if (values.chaos) {
    await chaosRun();
    applicants.length = 0;
  }
  for (const applicantId of applicants) {
    const started = performance.now();
    const handle = await runtime.start(creditDecision, { applicantId });
    const result = await handle.result();
    const wall = performance.now() - started;
    if (!result.output) {
      failed += 1;
      console.log(`${applicantId}: run ${result.status}: ${result.error?.code ?? "no output"} ${result.error?.message ?? ""}\n`);
      continue;
    }
    const decision = result.output;
    const journal = await runtime.getSteps(handle.runId);
    console.log(`${applicantId}: ${decision.decision.toUpperCase()}  score ${decision.score}/1000  limit $${(decision.limitMicros / 1_000_000).toLocaleString("en-US")}`);
    for (const reason of decision.reasons) console.log(`    · ${reason}`);
    // Partial: a worker failed and the decision was made without it (the run still decided).
    if (result.status === "partial") {
      for (const step of failedAgentSteps(journal)) console.log(`    run partial: decided without ${step.name} (${step.error?.code}: ${step.error?.message})`);
    }

    const steps = journal.filter((step) => step.type === "agent" && step.status === "completed");
    const parallel = steps.filter((step) => step.key.startsWith("2."));
    const spend = new Map((await spendReport(runtime.store.db, { by: "agent", runId: handle.runId })).map((row) => [row.key, row.spentMicros]));
    console.log("\n    agent            duration      cost");
    for (const step of [...steps].sort(byStart)) console.log(`    ${step.name.padEnd(16)} ${ms(step.durationMs ?? 0)} ${formatUsd(spend.get(step.name) ?? 0).padStart(9)}`);
    console.log(`    ${"run total".padEnd(16)} ${ms(wall)} ${formatUsd([...spend.values()].reduce((sum, value) => sum + value, 0)).padStart(9)}`);
    const sum = parallel.reduce((total, step) => total + (step.durationMs ?? 0), 0);
    const stage = Math.max(...parallel.map((step) => step.endedAt ?? 0)) - Math.min(...parallel.map((step) => step.startedAt));
    console.log(`\n    parallel stage ${ms(stage)} wall vs ${ms(sum)} sum of its ${parallel.length} workers (${(sum / Math.max(stage, 1)).toFixed(1)}× faster than serial)`);
    await printPolicyDecision(handle.runId, journal);
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

/** One line per decision: what the bureau step did, and whether the run still decided. */
async function chaosRun(): Promise<void> {
  for (const applicantId of applicants) {
    const result = await (await runtime.start(creditDecision, { applicantId })).result();
    const bureauStep = (await runtime.getSteps(result.runId)).find((step) => step.type === "agent" && step.name === "credit-bureau");
    const error = bureauStep?.error;
    const bureauOutcome = bureauStep?.status === "completed" ? "report received" : error?.code === "CIRCUIT_OPEN" ? "circuit open: failed fast, bureau not called" : `${error?.code}: ${error?.message}`;
    if (!result.output) failed += 1;
    const decision = result.output ? `${result.output.decision.toUpperCase().padEnd(8)} limit $${(result.output.limitMicros / 1_000_000).toLocaleString("en-US")}` : `run ${result.status}: ${result.error?.code}`;
    console.log(`${applicantId}  run ${result.status.padEnd(9)} ${decision.padEnd(28)} bureau: ${bureauOutcome}`);
  }
  await runtime.store.flush();
  const breaker = (await readBreakerStates(runtime.store)).get("agent:credit-bureau");
  const stats = bureau.stats();
  console.log(`\nbureau saw ${stats.requests} requests (${stats.failures} failed) for ${applicants.length} applications; breaker now ${breaker?.state ?? "closed"}.`);
  console.log(
    failed === 0
      ? "Every run still decided: without a report the limit is capped and the decision is referred to a person.\n"
      : `${failed} of ${applicants.length} runs did not decide (see the lines above); the others decided, without a report where the bureau failed.\n`,
  );
}

/** The policy decision on the run's bureau call, as `cadre policy explain` shows it. */
async function printPolicyDecision(runId: string, journal: JournalEntry[]): Promise<void> {
  const bureauCall = journal.find((step) => step.type === "tool" && step.name === "bureau-report");
  if (!bureauCall) return;
  const [decision] = (await operator.policies.explain(runId, bureauCall.key)).decisions;
  if (!decision) return;
  const verdict = decision.outcome === "allow" ? "permitted" : decision.outcome === "approval" ? "held for approval" : "denied";
  console.log(`    policy: bureau-report call ${verdict} by ${decision.policies.map((policy) => policy.id).join(", ")} (version ${decision.version}; cadre policy explain ${runId} ${bureauCall.key})`);
}

/** The agent steps whose last attempt failed, in journal order. */
function failedAgentSteps(journal: JournalEntry[]): JournalEntry[] {
  const lastAttempts = new Map<string, JournalEntry>();
  for (const step of journal) if (step.type === "agent" && (lastAttempts.get(step.key)?.attempt ?? 0) < step.attempt) lastAttempts.set(step.key, step);
  return [...lastAttempts.values()].filter((step) => step.status === "failed");
}

function byStart(left: JournalEntry, right: JournalEntry): number {
  return left.startedAt - right.startedAt || left.key.localeCompare(right.key);
}
