import { request as httpRequest } from "node:http";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, Runtime } from "../../../src/index.ts";
import { listen, type ListeningServer } from "../../../src/server/index.ts";
import { deferred } from "../../helpers/deferred.ts";

const greet = defineWorkflow({ name: "greet", description: "Greets someone.", input: z.object({ name: z.string() }), output: z.object({ greeting: z.string() }), run: async ({ name }) => ({ greeting: `hello ${name}` }) });
const shout = defineWorkflow({ name: "shout", description: "Shouts a text.", input: z.string(), output: z.string(), run: async (text) => text.toUpperCase() });
const boom = defineWorkflow({ name: "boom", input: z.object({}), output: z.string(), run: async (_input, ctx) => ctx.step("explode", async () => { throw new Error("the fuse was short"); }) });
const a2aOnly = defineWorkflow({ name: "a2a-only", input: z.object({}), output: z.string(), run: async () => "no" });
const echo = defineAgent({ name: "echo", owner: "tests", purpose: "Repeats what it is told.", input: z.string(), output: z.string(), run: (text) => text });
const buyer = defineAgent({ name: "buyer", owner: "tests", purpose: "Calls exposed workflows.", input: z.string(), output: z.string(), run: (text) => text });
let gate = deferred();
const stepped = defineWorkflow({
  name: "stepped",
  description: "Three steps; the second waits for the test.",
  input: z.object({ tag: z.string() }),
  output: z.object({ tag: z.string(), steps: z.number() }),
  run: async ({ tag }, ctx) => {
    await ctx.step("one", async () => 1);
    await ctx.step("two", async () => gate.promise.then(() => 2));
    await ctx.step("three", async () => 3);
    return { tag, steps: 3 };
  },
});

const expose = { workflows: { greet: {}, shout: { description: "SHOUTS." }, boom: {}, stepped: {}, "a2a-only": { via: ["a2a" as const] } }, agents: { echo: {} } };

let runtime: Runtime | undefined;
let server: ListeningServer | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  await server?.close();
  await runtime?.close();
  server = undefined;
  runtime = undefined;
});

async function serve(options: { dev?: boolean; allowedHosts?: string[]; authFailures?: { limit: number }; now?: () => number } = {}) {
  runtime = await Runtime.open({ store: ":memory:", agents: [echo, buyer], workflows: [greet, shout, boom, stepped, a2aOnly], expose });
  server = await listen({ runtime, auth: options.dev ? { mode: "dev" } : { mode: "keys" }, host: "127.0.0.1", port: 0, ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}), ...(options.authFailures ? { authFailures: options.authFailures } : {}), ...(options.now ? { now: options.now } : {}) });
  return { runtime, server, operator: openOperator({ store: runtime.store }) };
}

async function connect(url: string, secret?: string): Promise<Client> {
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), secret ? { requestInit: { headers: { authorization: `Bearer ${secret}` } } } : undefined));
  clients.push(client);
  return client;
}

/** A raw HTTP request with exactly the headers given (Host included), as a browser or another site could send. */
function rawPost(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const target = new URL(`${url}/mcp`);
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("MCP server over streamable HTTP (/mcp on cadre serve)", () => {
  it("an operator key lists the targets offered over MCP and calls one: a run under its principal, output as structured content and text", { timeout: 60_000 }, async () => {
    const { server, operator, runtime } = await serve();
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const client = await connect(server.url, secret);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["boom", "echo", "greet", "shout", "stepped"]);
    expect(tools.find((tool) => tool.name === "greet")).toMatchObject({ description: "Greets someone.", inputSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } });
    // A workflow whose input is not an object takes it as the argument `input`.
    expect(tools.find((tool) => tool.name === "shout")).toMatchObject({ description: "SHOUTS.", inputSchema: { type: "object", properties: { input: { type: "string" } }, required: ["input"] } });
    const result = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ greeting: "hello Ada" });
    expect(result.content).toEqual([{ type: "text", text: JSON.stringify({ greeting: "hello Ada" }) }]);
    const runId = result._meta?.["cadre/runId"] as string;
    expect(await runtime.getRun(runId)).toMatchObject({ workflow: "greet", principal: "operator:olga", status: "completed" });
    const shouted = await client.callTool({ name: "shout", arguments: { input: "quiet" } });
    expect(shouted.structuredContent).toEqual({ result: "QUIET" });
    const agentCall = await client.callTool({ name: "echo", arguments: { input: "hi" } });
    expect(agentCall.structuredContent).toEqual({ result: "hi" });
    await client.ping();
  });

  it("a failed run and an invalid input are isError results with the Cadre error code", { timeout: 60_000 }, async () => {
    const { server, operator } = await serve();
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const client = await connect(server.url, secret);
    const failed = await client.callTool({ name: "boom", arguments: {} });
    expect(failed.isError).toBe(true);
    expect((failed.content as Array<{ text: string }>)[0]!.text).toMatch(/^STEP_FAILED: .*the fuse was short/);
    expect(failed._meta?.["cadre/runId"]).toMatch(/^run_/);
    const invalid = await client.callTool({ name: "greet", arguments: { name: 42 } });
    expect(invalid.isError).toBe(true);
    expect((invalid.content as Array<{ text: string }>)[0]!.text).toMatch(/^INVALID_INPUT: /);
  });

  it("an agent credential without expose:<name> sees nothing and its call is refused and audited; with the grant it may call", { timeout: 60_000 }, async () => {
    const { server, operator, runtime } = await serve();
    const { secret } = await operator.credentials.create("buyer");
    const client = await connect(server.url, secret);
    expect((await client.listTools()).tools).toEqual([]);
    const refused = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
    expect(refused.isError).toBe(true);
    expect((refused.content as Array<{ text: string }>)[0]!.text).toMatch(/^FORBIDDEN: agent:buyer may not call workflow greet: .*expose:greet/);
    const denied = await runtime.store.db.selectFrom("audit_log").select(["kind", "principal", "data"]).where("kind", "=", "expose.denied").execute();
    expect(denied).toHaveLength(1);
    expect(denied[0]!.principal).toBe("agent:buyer");
    const data = denied[0]!.data;
    expect(typeof data === "string" ? JSON.parse(data) : data).toMatchObject({ target: "greet", via: "mcp" });
    expect(await runtime.listRuns()).toHaveLength(0);

    await operator.grants.add("buyer", { scope: "expose:greet" });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["greet"]);
    const allowed = await client.callTool({ name: "greet", arguments: { name: "Bo" } });
    expect(allowed.structuredContent).toEqual({ greeting: "hello Bo" });
    expect(await runtime.getRun(allowed._meta?.["cadre/runId"] as string)).toMatchObject({ principal: "agent:buyer" });
  });

  it("refuses a request without a credential (401) and an unknown one, then rate-limits the guesser (429); --dev acts as the local admin", { timeout: 60_000 }, async () => {
    const { server } = await serve({ authFailures: { limit: 2 } });
    const anonymous = await rawPost(server.url, { host: new URL(server.url).host });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body).error.code).toBe("UNAUTHENTICATED");
    for (let guess = 1; guess <= 2; guess += 1) {
      const unknown = await rawPost(server.url, { host: new URL(server.url).host, authorization: `Bearer not-a-key-${guess}` });
      expect(unknown.status).toBe(401);
    }
    const limited = await rawPost(server.url, { host: new URL(server.url).host, authorization: "Bearer not-a-key-3" });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).error.code).toBe("RATE_LIMITED");
    await server.close();
    await runtime!.close();
    const dev = await serve({ dev: true });
    const client = await connect(dev.server.url);
    const result = await client.callTool({ name: "greet", arguments: { name: "Dev" } });
    expect(await dev.runtime.getRun(result._meta?.["cadre/runId"] as string)).toMatchObject({ principal: "operator:local" });
  });

  it("refuses a Host or Origin that is not this machine (DNS rebinding) unless allowed with allowedHosts", { timeout: 60_000 }, async () => {
    const { server, operator } = await serve();
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const authorization = `Bearer ${secret}`;
    const local = new URL(server.url).host;
    const badHost = await rawPost(server.url, { host: "evil.example:80", authorization });
    expect(badHost.status).toBe(403);
    expect(JSON.parse(badHost.body).error).toMatchObject({ code: "FORBIDDEN", details: { reason: "dns-rebinding-protection" } });
    const badOrigin = await rawPost(server.url, { host: local, origin: "http://evil.example", authorization });
    expect(badOrigin.status).toBe(403);
    const good = await rawPost(server.url, { host: local, origin: `http://${local}`, authorization });
    expect(good.status).toBe(200);
    await server.close();
    await runtime!.close();
    const allowing = await serve({ allowedHosts: ["cadre.internal"] });
    const key = (await allowing.operator.keys.create({ operator: "olga", role: "operator" })).secret;
    const allowed = await rawPost(allowing.server.url, { host: "cadre.internal:7070", origin: "https://cadre.internal", authorization: `Bearer ${key}` });
    expect(allowed.status).toBe(200);
  });

  it("reports a run's steps as progress, with two calls in flight at once on one session (two SSE streams)", { timeout: 60_000 }, async () => {
    gate = deferred();
    const { server, operator, runtime } = await serve();
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const client = await connect(server.url, secret);
    const started = new Set<string>();
    runtime.on("step-start", (event) => {
      if (event.name === "two") started.add(event.runId);
    });
    const progress: Record<string, string[]> = { a: [], b: [] };
    const calls = (["a", "b"] as const).map((tag) => client.callTool({ name: "stepped", arguments: { tag } }, { onprogress: (update) => progress[tag]!.push(update.message ?? "") }));
    // Both runs are inside their second step at once: two requests, each with its own stream, are open on the session.
    const { until } = await import("../../helpers/crash.ts");
    await until(() => started.size === 2, "both runs to reach their second step");
    // Progress arrives while the calls are still in flight.
    await until(() => progress.a!.some((message) => message.endsWith("one completed")) && progress.b!.some((message) => message.endsWith("one completed")), "progress for the first steps");
    gate.resolve();
    const [a, b] = await Promise.all(calls);
    expect(a!.structuredContent).toEqual({ tag: "a", steps: 3 });
    expect(b!.structuredContent).toEqual({ tag: "b", steps: 3 });
    for (const tag of ["a", "b"]) {
      expect(progress[tag]!.filter((message) => / completed$/.test(message) && !message.startsWith("run"))).toHaveLength(3);
      expect(progress[tag]!.at(-1)).toBe("run completed");
    }
  });

  it("a call the client cancels cancels its run (audited under the caller)", { timeout: 60_000 }, async () => {
    gate = deferred();
    const { server, operator, runtime } = await serve();
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const client = await connect(server.url, secret);
    let runId: string | undefined;
    runtime.on("step-start", (event) => {
      if (event.name === "two") runId = event.runId;
    });
    const controller = new AbortController();
    const call = client.callTool({ name: "stepped", arguments: { tag: "c" } }, { signal: controller.signal });
    const { until } = await import("../../helpers/crash.ts");
    await until(() => runId !== undefined, "the run to reach its second step");
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    let status: string | undefined;
    await until(() => {
      void runtime.getRun(runId!).then((run) => (status = run?.status));
      return status === "cancelled";
    }, "the run to be cancelled");
    gate.resolve();
    const cancelled = await runtime.store.db.selectFrom("audit_log").select(["principal"]).where("run_id", "=", runId!).where("kind", "=", "run.cancelled").execute();
    expect(cancelled).toEqual([{ principal: "operator:olga" }]);
  });

  it("closes a session left idle for an hour when another opens (a vanished client leaves nothing behind)", { timeout: 60_000 }, async () => {
    let clock = Date.now();
    const { server, operator } = await serve({ now: () => clock });
    const { secret } = await operator.keys.create({ operator: "olga", role: "operator" });
    const idle = await connect(server.url, secret);
    await idle.ping();
    clock += 61 * 60 * 1000;
    const fresh = await connect(server.url, secret);
    await fresh.ping();
    await expect(idle.ping()).rejects.toThrow(/404|not found|session/i);
  });
});
