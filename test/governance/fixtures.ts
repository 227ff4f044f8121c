import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, usd, type Agent, type Tool } from "../../src/index.ts";
import type { Store } from "../../src/index.ts";

/** A tool at $0.01 a call that records its calls and can be told to fail or hang. */
export function paidTool(options: { name?: string; price?: number; behaviour?: (input: { i: number }) => Promise<void> | void; timeout?: number } = {}): Tool<{ i: number }, { i: number }> {
  return defineTool({
    name: options.name ?? "paid",
    description: "a priced test tool",
    input: z.object({ i: z.number() }),
    output: z.object({ i: z.number() }),
    price: options.price ?? usd(0.01),
    timeout: options.timeout,
    run: async (input) => {
      await options.behaviour?.(input);
      return input;
    },
  });
}

/** An agent that makes `count` concurrent calls to `tool` and reports which succeeded. */
export function burstAgent(tool: Tool, options: { name?: string; grants?: Agent["grants"]; budget?: Agent["budget"]; timeout?: number } = {}) {
  return defineAgent({
    name: options.name ?? "spender",
    owner: "tests",
    purpose: "spends",
    tools: [tool],
    grants: options.grants ?? [{ scope: tool.scope }],
    budget: options.budget,
    timeout: options.timeout,
    input: z.object({ count: z.number() }),
    output: z.object({ ok: z.number(), errors: z.array(z.string()) }),
    run: async ({ count }, context) => {
      const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => context.tools.call(tool, { i })));
      return {
        ok: results.filter((result) => result.status === "fulfilled").length,
        errors: results.flatMap((result) => (result.status === "rejected" ? [(result.reason as { code: string }).code] : [])),
      };
    },
  });
}

export function burstWorkflow(agent: Agent, budget: { perRun: number; allocation?: number }) {
  return defineWorkflow({
    name: "burst",
    input: z.object({ count: z.number() }),
    output: z.any(),
    budget: { allocation: usd(100), ...budget },
    run: (input, ctx) => ctx.call(agent, input),
  });
}

/** Money accounts' balance + spent: constant between deposits, whatever happens. */
export async function ledgerTotals(store: Store) {
  const rows = await store.db.selectFrom("accounts").select(["kind", "balance", "reserved", "spent"]).execute();
  const money = rows.filter((row) => row.kind !== "cap");
  const funded = await store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("kind", "=", "fund").executeTakeFirst();
  return {
    held: rows.reduce((sum, row) => sum + Number(row.reserved), 0),
    conserved: money.reduce((sum, row) => sum + Number(row.balance) + Number(row.spent), 0),
    funded: Number(funded?.total ?? 0),
    openHolds: Number((await store.db.selectFrom("holds").select((eb) => eb.fn.countAll<number>().as("count")).where("status", "=", "open").executeTakeFirst())?.count ?? 0),
  };
}

export async function auditKinds(store: Store, runId?: string): Promise<Array<{ kind: string; agent: string | null; data: Record<string, unknown> }>> {
  let query = store.db.selectFrom("audit_log").select(["kind", "agent", "data"]).orderBy("seq");
  if (runId) query = query.where("run_id", "=", runId);
  return (await query.execute()).map((row) => ({ kind: row.kind, agent: row.agent, data: JSON.parse(row.data) }));
}
