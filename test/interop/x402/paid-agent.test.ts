import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, openStore, paidFetch, remoteAgent, Runtime, x402Payer, type Store } from "../../../src/index.ts";
import { cadre } from "../../helpers/cli.ts";
import { freshStoreLocation, type TestStoreLocation } from "../../helpers/stores.ts";
import { startSeller, type SellerProcess } from "./seller-process.ts";

const price = 250_000;
const calls = 3;

/** The buyer's ledger: what its tools were charged, what is still held. */
async function buyerLedger(store: Store) {
  const charged = await store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("kind", "=", "charge").where("subject", "like", "tool:%").executeTakeFirst();
  const held = await store.db.selectFrom("accounts").select((eb) => eb.fn.sum<number>("reserved").as("total")).executeTakeFirst();
  const openHolds = await store.db.selectFrom("holds").select((eb) => eb.fn.countAll<number>().as("count")).where("status", "=", "open").executeTakeFirst();
  return { charged: Number(charged?.total ?? 0), held: Number(held?.total ?? 0), openHolds: Number(openHolds?.count ?? 0) };
}

/** The seller's ledger, read from its own store file: payments settled, and money received from the buyer. */
async function sellerLedger(location: string) {
  const store = await openStore(location, { readOnly: true });
  try {
    const payments = await store.db.selectFrom("x402_payments").selectAll().execute();
    const account = await store.db.selectFrom("accounts").select(["balance"]).where("id", "=", "x402:buyer").executeTakeFirst();
    const refusals = await store.db.selectFrom("audit_log").select(["data"]).where("kind", "=", "x402.refused").execute();
    return { payments: payments.length, received: Number(account?.balance ?? 0), refusals: refusals.map((row) => JSON.parse(row.data) as { reason: string; payer?: string }) };
  } finally {
    await store.close();
  }
}

describe("two Cadre processes: one sells an agent over HTTP with x402, the other buys it", () => {
  let sellerStore: TestStoreLocation;
  let buyerStore: TestStoreLocation;
  let seller: SellerProcess;
  let runtime: Runtime;
  let operatorKey: string;

  beforeAll(async () => {
    sellerStore = await freshStoreLocation("sqlite");
    buyerStore = await freshStoreLocation("sqlite");
    // The seller's store exists before it serves: an operator key the buyer calls with.
    const key = cadre(["keys", "create", "--operator", "buyer-org", "--role", "operator", "--store", sellerStore.location]);
    expect(key.status, key.stderr).toBe(0);
    operatorKey = key.stdout.trim();
    seller = await startSeller({ store: sellerStore.location, price });
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await seller?.stop();
    await sellerStore?.cleanup();
    await buyerStore?.cleanup();
  });

  const payer = x402Payer({ store: () => runtime.store });
  // The buyer's agents are the seller's oracle seen through A2A: remote agents that pay with x402, up to their cap.
  const remoteOracle = (name: string, maxMicros: number) =>
    remoteAgent({ name, owner: "tests", purpose: "Buys answers from the seller's oracle over A2A.", url: `${seller.url}/a2a/oracle`, input: z.object({ question: z.string() }), output: z.object({ answer: z.string() }), payment: { payer, maxMicros }, credential: () => operatorKey, timeout: 60_000 });

  async function openBuyer() {
    const buyer = remoteOracle("buyer", price);
    const cheapBuyer = remoteOracle("cheap-buyer", price - 1);
    // The generic paid-HTTP tool, calling the same endpoint with a hand-written A2A SendMessage.
    const askOracle = paidFetch({ name: "ask-oracle", url: `${seller.url}/a2a/oracle`, maxPrice: price, payer, headers: { authorization: `Bearer ${operatorKey}`, "a2a-version": "1.0" } });
    const fetcher = defineAgent({
      name: "fetcher",
      owner: "tests",
      purpose: "Buys answers from the oracle with a paid HTTP call.",
      tools: [askOracle],
      grants: [{ scope: "tool:*" }],
      input: z.object({ question: z.string() }),
      output: z.any(),
      run: async ({ question }, context) => {
        const message = { messageId: `fetcher-${question}`, role: "ROLE_USER", parts: [{ data: { question }, mediaType: "application/json" }] };
        return context.tools.call(askOracle, { body: { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message } } });
      },
    });
    // Its budget runs out exactly at the cap: `calls` paid calls, not one more.
    const shop = defineWorkflow({
      name: "shop",
      input: z.object({ questions: z.array(z.string()), cheaply: z.boolean().optional() }),
      output: z.any(),
      budget: { perRun: calls * price, allocation: 100 * calls * price },
      run: async ({ questions, cheaply }, ctx) => {
        const answers: unknown[] = [];
        for (const question of questions) {
          try {
            answers.push(await ctx.call(cheaply ? cheapBuyer : buyer, { question }));
          } catch (error) {
            answers.push({ refused: (error as { code: string }).code });
          }
        }
        return answers;
      },
    });
    const fetch = defineWorkflow({ name: "fetch", input: z.object({ question: z.string() }), output: z.any(), budget: { perRun: price, allocation: 10 * price }, run: async (input, ctx) => ctx.call(fetcher, input) });
    runtime = await Runtime.open({ store: buyerStore.location, agents: [buyer, cheapBuyer, fetcher], workflows: [shop, fetch] });
    return shop;
  }

  it("the buyer's agent gets a payment key (CLI) the seller trusts (CLI); N calls are paid, the N+1th is refused before paying; the ledgers reconcile", async () => {
    const shop = await openBuyer();
    const created = cadre(["x402", "keys", "create", "buyer", "--store", buyerStore.location]);
    expect(created.status, created.stderr).toBe(0);
    const publicKey = created.stdout.trim();
    expect(Buffer.from(publicKey, "base64").length).toBeGreaterThan(30);
    // Before the seller trusts the buyer's key, its IOUs are refused with the reason, and nothing is paid.
    const untrusted = await (await runtime.start(shop, { questions: ["before trust"] })).result();
    expect(untrusted.output).toEqual([{ refused: "PAYMENT_REFUSED" }]);
    expect((await sellerLedger(sellerStore.location)).refusals.map((refusal) => refusal.reason)).toEqual(["unknown_payer"]);

    const trusted = cadre(["x402", "trust", "buyer", publicKey, "--store", sellerStore.location]);
    expect(trusted.status, trusted.stderr).toBe(0);
    const listed = cadre(["x402", "trusted", "--json", "--store", sellerStore.location]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ payer: "buyer", publicKey })]);

    const result = await (await runtime.start(shop, { questions: ["one", "two", "three", "four"] })).result();
    expect(result.status).toBe("completed");
    const answers = result.output as Array<{ answer?: string; refused?: string }>;
    expect(answers.slice(0, calls).map((answer) => answer.answer)).toEqual(["42 (you asked: one)", "42 (you asked: two)", "42 (you asked: three)"]);
    expect(answers[calls]).toEqual({ refused: "BUDGET_EXCEEDED" });
    await runtime.store.flush();

    const bought = await buyerLedger(runtime.store);
    const sold = await sellerLedger(sellerStore.location);
    // Buyer paid out = seller received: three payments, one per paid call; the fourth never reached the seller.
    expect(bought).toEqual({ charged: calls * price, held: 0, openHolds: 0 });
    expect(sold.payments).toBe(calls);
    expect(sold.received).toBe(calls * price);
    const paymentsCli = cadre(["x402", "payments", "--json", "--store", sellerStore.location]);
    expect((JSON.parse(paymentsCli.stdout) as Array<{ amount: number; payer: string; payTo: string }>).map(({ amount, payer: who, payTo }) => ({ amount, payer: who, payTo }))).toEqual(Array(calls).fill({ amount: price, payer: "buyer", payTo: "seller" }));
    // The refusal of the fourth call is the gateway's, audited like any refused effect, before anything was paid.
    const denials = (await openOperator({ store: runtime.store }).audit.list({ runId: result.runId })).items.filter((record) => JSON.stringify(record.data).includes("BUDGET_EXCEEDED"));
    expect(denials.length).toBeGreaterThan(0);
  }, 180_000);

  it("a price above the call's cap is refused before paying: PAYMENT_ABOVE_CAP, nothing held, nothing settled", async () => {
    const before = await sellerLedger(sellerStore.location);
    const chargedBefore = (await buyerLedger(runtime.store)).charged;
    const result = await (await runtime.start("shop", { questions: ["too dear"], cheaply: true })).result();
    expect(result.output).toEqual([{ refused: "PAYMENT_ABOVE_CAP" }]);
    await runtime.store.flush();
    expect(await buyerLedger(runtime.store)).toEqual({ charged: chargedBefore, held: 0, openHolds: 0 });
    const after = await sellerLedger(sellerStore.location);
    expect(after.payments).toBe(before.payments);
    expect(after.received).toBe(before.received);
    const failures = (await openOperator({ store: runtime.store }).audit.list({ runId: result.runId })).items.filter((record) => JSON.stringify(record.data).includes("PAYMENT_ABOVE_CAP"));
    expect(failures.length).toBeGreaterThan(0);
  }, 120_000);

  it("a task that fails on the seller is not settled: the buyer's call fails with the remote's state, nothing is charged or received", async () => {
    const before = await sellerLedger(sellerStore.location);
    const chargedBefore = (await buyerLedger(runtime.store)).charged;
    const result = await (await runtime.start("shop", { questions: ["fail, please"] })).result();
    expect(result.output).toEqual([{ refused: "REMOTE_AGENT_FAILED" }]);
    const step = (await runtime.getSteps(result.runId)).find((each) => each.name === "a2a.buyer");
    expect(step).toMatchObject({ status: "failed", error: { code: "REMOTE_AGENT_FAILED", details: { state: "TASK_STATE_FAILED" } } });
    await runtime.store.flush();
    expect(await buyerLedger(runtime.store)).toEqual({ charged: chargedBefore, held: 0, openHolds: 0 });
    const after = await sellerLedger(sellerStore.location);
    expect(after.payments).toBe(before.payments);
    expect(after.received).toBe(before.received);
    // The seller ran the work (its run failed) and recorded no payment for it.
    const failedRuns = cadre(["runs", "--workflow", "agent-oracle", "--status", "failed", "--json", "--store", sellerStore.location]);
    expect(failedRuns.status, failedRuns.stderr).toBe(0);
    const listed = JSON.parse(failedRuns.stdout) as { items?: unknown[] } | unknown[];
    expect((Array.isArray(listed) ? listed : (listed.items ?? [])).length).toBe(1);
  }, 120_000);

  it("the generic paid HTTP tool pays for a hand-written A2A SendMessage (A2A-Version 1.0) at the same endpoint, once per call", async () => {
    const created = cadre(["x402", "keys", "create", "fetcher", "--store", buyerStore.location]);
    expect(created.status, created.stderr).toBe(0);
    const trusted = cadre(["x402", "trust", "fetcher", created.stdout.trim(), "--store", sellerStore.location]);
    expect(trusted.status, trusted.stderr).toBe(0);
    const chargedBefore = (await buyerLedger(runtime.store)).charged;
    const result = await (await runtime.start("fetch", { question: "by hand" })).result();
    expect(result.status).toBe("completed");
    expect(result.output).toMatchObject({ status: 200, paidMicros: price, body: { jsonrpc: "2.0", id: 1, result: { task: { status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ data: { answer: "42 (you asked: by hand)" } }] }] } } } });
    await runtime.store.flush();
    expect((await buyerLedger(runtime.store)).charged - chargedBefore).toBe(price);
    const payments = JSON.parse(cadre(["x402", "payments", "--json", "--store", sellerStore.location]).stdout) as Array<{ amount: number; payer: string }>;
    expect(payments.filter((payment) => payment.payer === "fetcher").map((payment) => payment.amount)).toEqual([price]);
  }, 120_000);
});
