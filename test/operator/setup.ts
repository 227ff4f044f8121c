import { afterEach } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, openOperator, usd, type AuditRecord, type Operator } from "../../src/index.ts";
import { paidTool } from "../governance/fixtures.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

/** A tool at $0.01 a call, an agent granted it, and workflows that spend, start a child run and wait for a person. */
export const lookup = paidTool({ name: "lookup", price: usd(0.01) });
export const clerk = defineAgent({
  name: "clerk",
  owner: "finance",
  purpose: "looks things up",
  risk: "high",
  reviewEveryDays: 30,
  tools: [lookup],
  grants: [{ scope: lookup.scope }],
  input: z.object({ calls: z.number() }),
  output: z.number(),
  run: async ({ calls }, context) => {
    for (let i = 0; i < calls; i += 1) await context.tools.call(lookup, { i });
    return calls;
  },
});
export const auditor = defineAgent({ name: "auditor", owner: "risk", purpose: "reads", input: z.any(), output: z.any(), run: () => "ok" });

/** Spends `calls` cents through the clerk. */
export const spend = defineWorkflow({ name: "spend", input: z.object({ calls: z.number() }), output: z.number(), budget: { allocation: usd(10), perRun: usd(1) }, run: (input, ctx) => ctx.call(clerk, input) });
/** Asks for approval "payout" after spending two cents. */
export const payout = defineWorkflow({
  name: "payout",
  input: z.object({ amount: z.number() }),
  output: z.string(),
  budget: { allocation: usd(10), perRun: usd(1) },
  run: async ({ amount }, ctx) => {
    await ctx.call(clerk, { calls: 2 });
    return `paid ${amount}, approved by ${(await ctx.approval("payout", { request: { amount } })).by}`;
  },
});
/** Spends one cent itself and runs `payout` as a child run, which waits. */
export const batch = defineWorkflow({
  name: "batch",
  input: z.object({}),
  output: z.any(),
  budget: { allocation: usd(10), perRun: usd(2) },
  run: async (_input, ctx) => {
    await ctx.call(clerk, { calls: 1 });
    return ctx.call(payout, { amount: 7 });
  },
});

export interface OperatorFixture {
  location: TestStoreLocation;
  runtime: Runtime;
  operator: Operator;
  /** The operator's clock: tests move it. */
  clock: { now: number };
  close(): Promise<void>;
}

/** A fresh store with a runtime that knows the agents and workflows above, and an operator acting as `alice` on the same store. */
export async function openFixture(dialect: "sqlite" | "postgres"): Promise<OperatorFixture> {
  const location = await freshStoreLocation(dialect);
  const clock = { now: Date.UTC(2026, 5, 1) };
  // The runtime keeps the real clock: its leases and timeouts run on it.
  const runtime = await Runtime.open({ store: location.location, agents: [clerk, auditor], workflows: [spend, payout, batch] });
  const operator = openOperator({ store: runtime.store, principal: "alice", now: () => clock.now });
  return {
    location,
    runtime,
    operator,
    clock,
    async close() {
      await runtime.close();
      await location.cleanup();
    },
  };
}

/** Every record the operator's export yields, in order. */
export async function exported(operator: Operator, options: { runId?: string } = {}): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const record of operator.audit.export(options)) records.push(record);
  return records;
}

/** What the audit log recorded of `kinds`, through the operator's export. */
export async function auditRecords(operator: Operator, kinds: string[]): Promise<AuditRecord[]> {
  return (await exported(operator)).filter((record) => kinds.includes(record.kind));
}

/** An operator fixture per test, closed (with its store removed) after it. Call inside a `describe`. */
export function operatorFixture(dialect: "sqlite" | "postgres"): () => Promise<OperatorFixture> {
  let fixture: OperatorFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  return async () => (fixture = await openFixture(dialect));
}
