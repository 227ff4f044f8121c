import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, openStore, paidFetch, Runtime, x402Payer, type Store } from "../../../src/index.ts";
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
  const oracleCall = (question: string) => ({ body: { jsonrpc: "2.0", id: 1, method: "message/send", params: { input: { question } } } });
  const tools = (url: string, authorization: string) => ({
    askOracle: paidFetch({ name: "ask-oracle", url: `${url}/a2a/oracle`, maxPrice: price, payer, headers: { authorization } }),
    askCheaply: paidFetch({ name: "ask-cheaply", url: `${url}/a2a/oracle`, maxPrice: price - 1, payer, headers: { authorization } }),
  });

  async function openBuyer() {
    const { askOracle, askCheaply } = tools(seller.url, `Bearer ${operatorKey}`);
    const buyer = defineAgent({
      name: "buyer",
      owner: "tests",
      purpose: "Buys answers from the oracle.",
      tools: [askOracle, askCheaply],
      grants: [{ scope: "tool:*" }],
      input: z.object({ question: z.string(), cheaply: z.boolean().optional() }),
      output: z.any(),
      run: async ({ question, cheaply }, context) => (await context.tools.call(cheaply ? askCheaply : askOracle, oracleCall(question))).body,
    });
    // Its budget runs out exactly at the cap: `calls` paid calls, not one more.
    const shop = defineWorkflow({
      name: "shop",
      input: z.object({ questions: z.array(z.string()), cheaply: z.boolean().optional() }),
      output: z.any(),
      budget: { perRun: calls * price, allocation: 10 * calls * price },
      run: async ({ questions, cheaply }, ctx) => {
        const answers: unknown[] = [];
        for (const question of questions) {
          try {
            answers.push(await ctx.call(buyer, { question, cheaply }));
          } catch (error) {
            answers.push({ refused: (error as { code: string }).code });
          }
        }
        return answers;
      },
    });
    runtime = await Runtime.open({ store: buyerStore.location, agents: [buyer], workflows: [shop] });
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
    const answers = result.output as Array<{ result?: { answer: string }; refused?: string }>;
    expect(answers.slice(0, calls).map((answer) => answer.result?.answer)).toEqual(["42 (you asked: one)", "42 (you asked: two)", "42 (you asked: three)"]);
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
});
