import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { EventBus } from "../src/engine/events.ts";
import { Journal } from "../src/engine/journal.ts";
import { runStep } from "../src/engine/run-step.ts";
import { Gateway } from "../src/governance/gateway.ts";
import { runAccount } from "../src/governance/ledger.ts";
import { openRunAccount } from "../src/governance/run-accounts.ts";
import { compilePolicySet } from "../src/policy/compile-policy-set.ts";
import { readPolicySources } from "../src/policy/policy-sources.ts";
import { loadCedar } from "../src/policy/cedar.ts";
import { PolicyEngine, Runtime, defineAgent, defineTool, defineWorkflow, usd, type Store } from "../src/index.ts";
import { toolGovernance } from "../src/workflow/effects/tool-call.ts";
import { createLogger } from "../src/workflow/logger.ts";
import type { Figure } from "./engine.ts";

// The credit-risk example's set (a base permit, a data-class rule, an approval threshold): what a decision costs in practice.
const policyDir = new URL("../examples/credit-risk/policies", import.meta.url);
const ledger = defineTool({ name: "ledger", description: "a governed call on financial data", input: z.object({ i: z.number() }), output: z.number(), price: 1, dataClass: "financial", run: ({ i }) => i });
const analyst = defineAgent({ name: "analyst", owner: "bench", purpose: "reads the ledger", clearance: ["financial"], tools: [ledger], grants: [{ scope: ledger.scope }], input: z.object({}), output: z.number(), run: () => 0 });

// Only its budget is used: the steps run straight through runStep, as bench/governance.ts does.
const bench = defineWorkflow({ name: "bench", input: z.object({}), output: z.any(), budget: { perRun: usd(10), allocation: usd(1000) }, run: async () => null });

const micros = (value: number) => `${value.toFixed(1)} µs`;

/** The median of `rounds` timings of `count` calls, in µs per call. */
function medianMicros(rounds: number, count: number, work: () => void): number {
  const timings: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    for (let i = 0; i < count; i += 1) work();
    timings.push(((performance.now() - started) / count) * 1000);
  }
  return timings.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

/** A journaled, governed tool step per call (SQLite, group commit), with the gateway given `policy` or not; µs per call. Each call's input differs, its amount does not: the decision repeats as in a real run's loop. */
async function governedStep(store: Store, policy: PolicyEngine | undefined, label: string, calls: number): Promise<number> {
  const runId = `bench-policy-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await store.transaction((tx) => openRunAccount(tx, { runId, workflow: "bench", perRun: usd(10), now: Date.now() }));
  const gateway = new Gateway({ store, dialect: store.dialect, runId, workflow: "bench", principal: "bench", now: Date.now, logger: createLogger({}, false), blockOverdueReviews: false, policy });
  const environment = { runId, journal: Journal.empty(store, runId), events: new EventBus(), signal: new AbortController().signal, now: Date.now };
  const started = performance.now();
  for (let i = 0; i < calls; i += 1) {
    const effect = toolGovernance({ agent: analyst, within: { stepKey: "1:analyst", moneyAccount: runAccount(runId) }, tool: ledger, input: { i } });
    await runStep(environment, { position: `${i}`, key: `${i}:ledger`, name: "ledger", type: "tool", agent: analyst.name, input: { i }, hooks: gateway.hooks(effect, `${i}:ledger`), execute: async () => i });
  }
  await environment.journal.flush();
  return ((performance.now() - started) / calls) * 1000;
}

/** Policy figures: parsing once, one decision, and a governed call with and without a policy set. */
export async function benchPolicies(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const sources = await readPolicySources({ dir: policyDir });
  const cedar = await loadCedar();
  let started = performance.now();
  compilePolicySet(sources, cedar);
  const parseMs = performance.now() - started;
  started = performance.now();
  const engine = await PolicyEngine.load({ dir: policyDir });
  const cachedMs = performance.now() - started;
  figures.push({ name: "parse + validate a policy set (once a version)", value: `${parseMs.toFixed(1)} ms (${engine.set.policies.size} policies); opening again with the same version ${cachedMs.toFixed(1)} ms (read + hash)` });

  const target = toolGovernance({ agent: analyst, within: { stepKey: "1:analyst", moneyAccount: "run:bench" }, tool: ledger, input: { i: 1 } }).policy!;
  const call = { amountMicros: 1, runId: "run_bench", workflow: "bench", onBehalfOf: "bench", goal: "decide an application", approved: false, stepKey: "1.t/1:ledger", now: Date.now() };
  // A new request each time (the amount changes and the policies read it): the Cedar engine evaluates every one.
  let amount = 0;
  const fresh = () => engine.decide(target, { ...call, amountMicros: (amount += 1) });
  medianMicros(3, 2_000, fresh);
  figures.push({ name: "one policy decision, evaluated (Cedar, wasm)", value: `${micros(medianMicros(9, 5_000, fresh))} median (request built, sent to the engine, decided)` });
  figures.push({ name: "one policy decision, same request again", value: `${micros(medianMicros(9, 20_000, () => engine.decide(target, call)))} median (answered from the version's decision cache)` });

  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-policy-"));
  const runtime = await Runtime.open({ store: join(directory, "policy.db"), agents: [analyst], workflows: [bench] });
  try {
    // Warm both paths, then alternate rounds so neither gets the other's WAL checkpoints.
    await governedStep(runtime.store, undefined, "w0", 200);
    await governedStep(runtime.store, engine, "w1", 200);
    const without: number[] = [];
    const withPolicies: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      without.push(await governedStep(runtime.store, undefined, `a${round}`, 400));
      withPolicies.push(await governedStep(runtime.store, engine, `b${round}`, 400));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const bare = median(without);
    const governed = median(withPolicies);
    figures.push({ name: "governed call without policies, SQLite", value: `${micros(bare)} per call (journaled step + gateway)` });
    figures.push({ name: "governed call with policies, SQLite", value: `${micros(governed)} per call: ${micros(governed - bare)} for the decision (median of 5 rounds of 400)` });
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}
