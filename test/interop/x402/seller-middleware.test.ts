import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from "@x402/core/http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPaymentKey, defineAgent, defineWorkflow, Runtime, x402Payer } from "../../../src/index.ts";
import { requestDigest } from "../../../src/interop/x402/iou.ts";
import { createServer, startsWork } from "../../../src/server/index.ts";
import { cadre } from "../../helpers/cli.ts";
import { freshStoreLocation, type TestStoreLocation } from "../../helpers/stores.ts";

describe("which A2A requests are paid for", () => {
  it("the requests that start work: JSON-RPC SendMessage/SendStreamingMessage (and message/send, message/stream), REST message:send|stream", () => {
    for (const method of ["SendMessage", "SendStreamingMessage", "message/send", "message/stream"]) expect(startsWork("POST", "/a2a/oracle", JSON.stringify({ jsonrpc: "2.0", id: 1, method }))).toBe(true);
    expect(startsWork("POST", "/a2a/oracle", JSON.stringify([{ method: "GetTask" }, { method: "SendMessage" }]))).toBe(true);
    expect(startsWork("POST", "/a2a/oracle/v1/message:send", "{}")).toBe(true);
    expect(startsWork("POST", "/a2a/oracle/v1/message:stream", "{}")).toBe(true);
    expect(startsWork("POST", "/a2a/oracle", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask" }))).toBe(false);
    expect(startsWork("POST", "/a2a/oracle", "not json")).toBe(false);
    expect(startsWork("GET", "/a2a/oracle/.well-known/agent-card.json", "")).toBe(false);
    expect(startsWork("POST", "/a2a/oracle/v1/tasks/abc:cancel", "{}")).toBe(false);
  });
});

describe("what a payment is bound to", () => {
  const url = "http://127.0.0.1:1/a2a/oracle";
  const call = (id: unknown, question: string) => JSON.stringify({ jsonrpc: "2.0", id, method: "SendMessage", params: { message: { messageId: "m-1", parts: [{ data: { question } }] } } });

  it("a JSON-RPC request is the same request whatever its id (a client numbers its calls anew on a retry); what it asks, its method or URL is not", () => {
    expect(requestDigest("POST", url, call(1, "a"))).toBe(requestDigest("post", url, call(2, "a")));
    expect(requestDigest("POST", url, call(1, "a"))).toBe(requestDigest("POST", url, call("x-7", "a")));
    expect(requestDigest("POST", url, `[${call(1, "a")},${call(2, "b")}]`)).toBe(requestDigest("POST", url, `[${call(5, "a")},${call(6, "b")}]`));
    expect(requestDigest("POST", url, call(1, "a"))).not.toBe(requestDigest("POST", url, call(1, "b")));
    expect(requestDigest("POST", url, `[${call(1, "a")},${call(2, "b")}]`)).not.toBe(requestDigest("POST", url, `[${call(1, "b")},${call(2, "a")}]`));
    expect(requestDigest("POST", url, call(1, "a"))).not.toBe(requestDigest("POST", `${url}-2`, call(1, "a")));
    expect(requestDigest("POST", url, call(1, "a"))).not.toBe(requestDigest("PUT", url, call(1, "a")));
    // Not JSON-RPC: the body as sent, an `id` included.
    expect(requestDigest("POST", url, JSON.stringify({ id: 1, q: "a" }))).not.toBe(requestDigest("POST", url, JSON.stringify({ id: 2, q: "a" })));
    expect(requestDigest("POST", url, "not json")).not.toBe(requestDigest("POST", url, "not json "));
  });
});

describe("the x402 seller in front of /a2a", () => {
  let server: Server | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await runtime?.close();
    server = runtime = undefined;
  });

  async function start() {
    const oracle = defineAgent({
      name: "oracle",
      owner: "tests",
      purpose: "Answers.",
      input: z.string(),
      output: z.string(),
      run: (text) => {
        if (text === "fail") throw new Error("the oracle failed");
        return `oracle: ${text}`;
      },
    });
    const greet = defineWorkflow({ name: "greet", input: z.string(), output: z.string(), run: async (name) => `hello ${name}` });
    runtime = await Runtime.open({ store: ":memory:", agents: [oracle], workflows: [greet], expose: { agents: { oracle: { price: 5000 } }, workflows: { greet: {} } } });
    // The real A2A server behind the seller: nothing stands in for it.
    const app = createServer({ runtime, auth: { mode: "dev" }, x402: { payTo: "shop" } });
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }) as Server;
    await new Promise((resolve) => server!.once("listening", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** An A2A v1.0 SendMessage (JSON-RPC) with a text part. */
  const sendMessage = (text: string, messageId = `m-${text}`) => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId, role: "ROLE_USER", parts: [{ text }] } } });
  const a2a = { "content-type": "application/json", "a2a-version": "1.0" };
  type TaskAnswer = { id: unknown; result?: { task: { status: { state: string }; artifacts?: Array<{ parts: Array<{ text?: string }> }> } }; error?: { code: number } };

  it("asks a priced target's callers to pay before work starts; free requests and free targets pass, with the body intact", async () => {
    const url = await start();
    const unpaid = await fetch(`${url}/a2a/oracle`, { method: "POST", headers: a2a, body: sendMessage("hi") });
    expect(unpaid.status).toBe(402);
    expect(unpaid.headers.get("cache-control")).toBe("no-store");
    const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required")!);
    expect(required).toMatchObject({ x402Version: 2, error: "payment_required", resource: { url: `${url}/a2a/oracle` }, accepts: [{ scheme: "iou", network: "cadre:ledger", amount: "5000", asset: "micro-usd", payTo: "shop" }] });
    expect(await unpaid.json()).toMatchObject({ message: expect.stringContaining("5000 micro-units") });
    expect((await fetch(`${url}/a2a/oracle/v1/message:send`, { method: "POST", body: "{}" })).status).toBe(402);
    expect(await runtime!.listRuns({ workflow: "agent-oracle" })).toEqual([]);

    // Free requests reach the A2A server with their body as sent: it answers the GetTask it read (id 2: no such task).
    const getTask = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "GetTask", params: { id: "run_missing" } });
    const missing = await fetch(`${url}/a2a/oracle`, { method: "POST", headers: a2a, body: getTask });
    expect(missing.status).toBe(200);
    expect(await missing.json()).toMatchObject({ jsonrpc: "2.0", id: 2, error: { code: expect.any(Number) } });
    expect((await fetch(`${url}/a2a/oracle/.well-known/agent-card.json`)).status).toBe(200);
    const free = (await (await fetch(`${url}/a2a/greet`, { method: "POST", headers: a2a, body: sendMessage("ana") })).json()) as TaskAnswer;
    expect(free.result?.task).toMatchObject({ status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "hello ana" }] }] });
  });

  it("settles paid work that succeeded (PAYMENT-RESPONSE); leaves unsettled a paid call whose task failed or that was answered with a JSON-RPC error", async () => {
    const url = await start();
    // An agent of the seller's own store pays with its own key: no `trust` needed.
    await createPaymentKey(runtime!.store.db, "buyer", Date.now());
    const payer = x402Payer({ store: runtime!.store });
    const call = async (text: string, key: string, headers: Record<string, string> = a2a) => {
      const session = payer.session({ maxMicros: 5000, idempotencyKey: key, agent: "buyer" });
      const response = await session.fetch(`${url}/a2a/oracle`, { method: "POST", headers, body: sendMessage(text) });
      return { response, answer: (await response.clone().json()) as TaskAnswer, paid: session.paid() };
    };
    const ok = await call("hello", "k-ok");
    expect(ok.response.status).toBe(200);
    expect(ok.answer.result?.task).toMatchObject({ status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "oracle: hello" }] }] });
    expect(ok.paid).toBe(5000);
    expect(decodePaymentResponseHeader(ok.response.headers.get("payment-response")!)).toMatchObject({ success: true, payer: "buyer", amount: "5000" });

    // The task ran and failed: A2A answers it in a 2xx result, and the seller does not settle it.
    const failed = await call("fail", "k-fail");
    expect(failed.response.status).toBe(200);
    expect(failed.answer.result?.task.status.state).toBe("TASK_STATE_FAILED");
    expect(failed.response.headers.get("payment-response")).toBeNull();
    expect(failed.paid).toBe(0);

    // Refused by the A2A server (a version it does not speak): a JSON-RPC error, nothing settled, no run.
    const refused = await call("old", "k-old", { "content-type": "application/json", "a2a-version": "0.3" });
    expect(refused.answer.error).toBeDefined();
    expect(refused.response.headers.get("payment-response")).toBeNull();
    expect(refused.paid).toBe(0);

    const payments = await runtime!.store.db.selectFrom("x402_payments").select(["amount"]).execute();
    expect(payments.map((payment) => Number(payment.amount))).toEqual([5000]);
    expect((await runtime!.listRuns({ workflow: "agent-oracle" })).map((run) => run.status).sort()).toEqual(["completed", "failed"]);
  });

  it("a payment header that is not an x402 payload is refused with the reason and audited", async () => {
    const url = await start();
    const refused = await fetch(`${url}/a2a/oracle`, { method: "POST", headers: { "payment-signature": "bm90IGpzb24=" }, body: JSON.stringify({ method: "message/send" }) });
    expect(refused.status).toBe(402);
    expect(decodePaymentRequiredHeader(refused.headers.get("payment-required")!).error).toBe("invalid_payload");
    const audited = await runtime!.store.db.selectFrom("audit_log").select(["kind", "data", "workflow"]).where("kind", "=", "x402.refused").execute();
    expect(audited.map((record) => [record.workflow, JSON.parse(record.data).reason])).toEqual([["agent-oracle", "invalid_payload"]]);
  });
});

describe("cadre x402 on the command line", () => {
  let location: TestStoreLocation | undefined;
  afterEach(async () => location?.cleanup());

  it("refuses a key for an agent the store does not know, a key that is not a public key, and a key not yet made; exits non-zero", async () => {
    location = await freshStoreLocation("sqlite");
    const unknown = cadre(["x402", "keys", "create", "ghost", "--store", location.location]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("ghost");
    const badKey = cadre(["x402", "trust", "buyer", "not-a-key", "--store", location.location]);
    expect(badKey.status).not.toBe(0);
    expect(badKey.stderr).toContain("base64 DER");
    const missing = cadre(["x402", "keys", "show", "ghost", "--store", location.location]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("cadre x402 keys create ghost");
    const none = cadre(["x402", "payments", "--json", "--store", location.location]);
    expect(none.status, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  }, 120_000);
});
