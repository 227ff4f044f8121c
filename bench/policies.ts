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
import { sample, spread, target as targetFigure } from "./stats.ts";

// The credit-risk example's set (a base permit, a data-class rule, an approval threshold): what a decision costs in practice.
const policyDir = new URL("../examples/credit-risk/policies", import.meta.url);
const ledger = defineTool({ name: "ledger", description: "a governed call on financial data", input: z.object({ i: z.number() }), output: z.number(), price: 1, dataClass: "financial", run: ({ i }) => i });
const analyst = defineAgent({ name: "analyst", owner: "bench", purpose: "reads the ledger", clearance: ["financial"], tools: [ledger], grants: [{ scope: ledger.scope }], input: z.object({}), output: z.number(), run: () => 0 });

// Only its budget is used: the steps run straight through runStep, as bench/governance.ts does.
const bench = defineWorkflow({ name: "bench", input: z.object({}), output: z.any(), budget: { perRun: usd(10), allocation: usd(1000) }, run: async () => null });

/** µs per call of `count` calls of `work`. */
function perCallMicros(count: number, work: () => void): number {
  const started = performance.now();
  for (let i = 0; i < count; i += 1) work();
  return ((performance.now() - started) / count) * 1000;
}

/** A journaled, governed tool step per call (SQLite, group commit), with the gateway given `policy` or not; µs per call. Each call's input differs, its amount does not: the decision repeats as in a real run's loop. */
async function governedStep(store: Store, policy: PolicyEngine | undefined, label: string, calls: number): Promise<number> {
  const runId = `bench-policy-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await store.transaction((tx) => openRunAccount(tx, { runId, workflow: "bench", perRun: usd(10), now: Date.now() }));
  const gateway = new Gateway({ store, dialect: store.dialect, runId, workflow: "bench", principal: "bench", now: Date.now, logger: createLogger({}, { settings: { enabled: false, format: "json", level: "info" } }), blockOverdueReviews: false, policy });
  const environment = { runId, journal: Journal.empty(store, runId), events: new EventBus(), signal: new AbortController().signal, now: Date.now };
  const started = performance.now();
  for (let i = 0; i < calls; i += 1) {
    const effect = toolGovernance({ agent: analyst, within: { stepKey: "1:analyst", moneyAccount: runAccount(runId) }, tool: ledger, input: { i } });
    await runStep(environment, { position: `${i}`, key: `${i}:ledger`, name: "ledger", type: "tool", agent: analyst.name, input: { i }, hooks: gateway.hooks(effect, `${i}:ledger`), execute: async () => i });
  }
  await environment.journal.flush();
  return ((performance.now() - started) / calls) * 1000;
}

/** Policy figures: parsing a version, one decision (evaluated, and repeated), a governed call with and without a policy set. */
export async function benchPolicies(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const sources = await readPolicySources({ dir: policyDir });
  const cedar = await loadCedar();
  // Each round a new version (a comment appended), so each one is read, validated and parsed into the engine.
  let version = 0;
  const parse = await sample(5, () => {
    const started = performance.now();
    compilePolicySet({ ...sources, files: sources.files.map((file) => ({ ...file, text: `${file.text}\n// bench ${(version += 1)}\n` })) }, cedar);
    return performance.now() - started;
  });
  const engine = await PolicyEngine.load({ dir: policyDir });
  figures.push({ name: "parse + validate a policy set", value: `${spread(parse, "ms")} for ${engine.set.policies.size} policies, once per version` });

  const target = toolGovernance({ agent: analyst, within: { stepKey: "1:analyst", moneyAccount: "run:bench" }, tool: ledger, input: { i: 1 } }).policy!;
  const call = { amountMicros: 1, runId: "run_bench", workflow: "bench", onBehalfOf: "bench", goal: "decide an application", approved: false, stepKey: "1.t/1:ledger", now: Date.now() };
  // A new request each time (the amount changes and a policy reads it): the Cedar engine evaluates every one.
  let amount = 0;
  const evaluated = await sample(7, () => perCallMicros(2_000, () => engine.decide(target, { ...call, amountMicros: (amount += 1) })));
  figures.push({ name: "one policy decision, evaluated", value: `${spread(evaluated, "µs")} (request built, sent to the wasm engine, decided)` });
  const repeated = await sample(7, () => perCallMicros(20_000, () => engine.decide(target, call)));
  figures.push({ name: "one policy decision, same request again", value: `${spread(repeated, "µs")} (from the version's decision cache)` });

  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-policy-"));
  const runtime = await Runtime.open({ store: join(directory, "policy.db"), agents: [analyst], workflows: [bench] });
  try {
    // The decision as the gateway makes it inside each governed call, timed where it happens: on a shared
    // machine the difference of two whole loops (below) is mostly the noise of the journal's writes.
    let decisionMs = 0;
    let decisions = 0;
    const timed = {
      version: engine.version,
      decide: (...args: Parameters<PolicyEngine["decide"]>) => {
        const started = performance.now();
        const decision = engine.decide(...args);
        decisionMs += performance.now() - started;
        decisions += 1;
        return decision;
      },
    } as PolicyEngine;
    let round = 0;
    const without: number[] = [];
    const withPolicies: number[] = [];
    const withPoliciesRound = async (): Promise<number> => {
      [decisionMs, decisions] = [0, 0];
      withPolicies.push(await governedStep(runtime.store, timed, `b${round}`, 600));
      return (decisionMs / decisions) * 1000;
    };
    const inCall = await sample(6, async () => {
      round += 1;
      // Which goes first alternates, so neither loop always pays for the other's WAL checkpoint.
      if (round % 2 === 0) {
        const micros = await withPoliciesRound();
        without.push(await governedStep(runtime.store, undefined, `a${round}`, 600));
        return micros;
      }
      without.push(await governedStep(runtime.store, undefined, `a${round}`, 600));
      return withPoliciesRound();
    });
    const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;
    figures.push({ name: "policy decision inside a governed call", value: `${spread(inCall, "µs")} per call, timed in the gateway (600 calls a round)  ${targetFigure(inCall, 50, "µs")}` });
    figures.push({ name: "governed call with / without policies, SQLite", value: `${median(withPolicies).toFixed(0)} µs / ${median(without).toFixed(0)} µs per call (journaled tool step + gateway; medians of 6 rounds)` });
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}
