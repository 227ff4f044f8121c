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
    const oracle = defineAgent({ name: "oracle", owner: "tests", purpose: "Answers.", input: z.string(), output: z.string(), run: (text) => text });
    const greet = defineWorkflow({ name: "greet", input: z.string(), output: z.string(), run: async (name) => `hello ${name}` });
    runtime = await Runtime.open({ store: ":memory:", agents: [oracle], workflows: [greet], expose: { agents: { oracle: { price: 5000 } }, workflows: { greet: {} } } });
    const app = createServer({ runtime, auth: { mode: "dev" }, x402: { payTo: "shop" } });
    // Stands in for the A2A server: echoes what reached it; a message saying "fail" is a JSON-RPC error (HTTP 200).
    app.all("/a2a/*", async (http) => {
      const body = await http.req.text();
      return body.includes("fail") ? http.json({ jsonrpc: "2.0", id: 1, error: { code: -32603, message: "it failed" } }) : http.json({ reached: http.req.path, body });
    });
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }) as Server;
    await new Promise((resolve) => server!.once("listening", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("asks a priced target's callers to pay before work starts; free requests and free targets pass, with the body intact", async () => {
    const url = await start();
    const send = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", params: {} });
    const unpaid = await fetch(`${url}/a2a/oracle`, { method: "POST", headers: { "content-type": "application/json" }, body: send });
    expect(unpaid.status).toBe(402);
    expect(unpaid.headers.get("cache-control")).toBe("no-store");
    const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required")!);
    expect(required).toMatchObject({ x402Version: 2, error: "payment_required", resource: { url: `${url}/a2a/oracle` }, accepts: [{ scheme: "iou", network: "cadre:ledger", amount: "5000", asset: "micro-usd", payTo: "shop" }] });
    expect(await unpaid.json()).toMatchObject({ message: expect.stringContaining("5000 micro-units") });
    expect((await fetch(`${url}/a2a/oracle/v1/message:send`, { method: "POST", body: "{}" })).status).toBe(402);

    const getTask = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "GetTask", params: { id: "t" } });
    expect(await (await fetch(`${url}/a2a/oracle`, { method: "POST", body: getTask })).json()).toEqual({ reached: "/a2a/oracle", body: getTask });
    expect((await fetch(`${url}/a2a/oracle/.well-known/agent-card.json`)).status).toBe(200);
    expect(await (await fetch(`${url}/a2a/greet`, { method: "POST", body: send })).json()).toEqual({ reached: "/a2a/greet", body: send });
  });

  it("settles paid work that succeeded (PAYMENT-RESPONSE), and leaves unsettled a paid call answered with a JSON-RPC error", async () => {
    const url = await start();
    // An agent of the seller's own store pays with its own key: no `trust` needed.
    await createPaymentKey(runtime!.store.db, "buyer", Date.now());
    const payer = x402Payer({ store: runtime!.store });
    const call = (text: string, key: string) => {
      const session = payer.session({ maxMicros: 5000, idempotencyKey: key, agent: "buyer" });
      return session.fetch(`${url}/a2a/oracle`, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", params: { text } }) }).then((response) => ({ response, paid: session.paid() }));
    };
    const ok = await call("hello", "k-ok");
    expect(ok.response.status).toBe(200);
    expect(ok.paid).toBe(5000);
    expect(decodePaymentResponseHeader(ok.response.headers.get("payment-response")!)).toMatchObject({ success: true, payer: "buyer", amount: "5000" });
    const failed = await call("fail", "k-fail");
    expect(failed.response.status).toBe(200);
    expect(failed.response.headers.get("payment-response")).toBeNull();
    expect(failed.paid).toBe(0);
    const payments = await runtime!.store.db.selectFrom("x402_payments").select(["amount"]).execute();
    expect(payments.map((payment) => Number(payment.amount))).toEqual([5000]);
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
