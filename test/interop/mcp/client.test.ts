import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, defineAgent, defineWorkflow, mcpServer, openOperator, Runtime, type Tool } from "../../../src/index.ts";
import { until } from "../../helpers/crash.ts";
import { listenToolServer, newState } from "./fixtures/tool-server.ts";

const fixture = join(import.meta.dirname, "fixtures/tool-server.ts");
const stdioCrm = (env: Record<string, string> = {}, prices: Record<string, number> = {}) => mcpServer({ name: "crm", command: process.execPath, args: [fixture], env }, { prices });

/** An agent that calls one MCP tool with the workflow's input and returns what it answered. */
function caller(tool: Tool, grants: Array<{ scope: string }>) {
  const agent = defineAgent({ name: "caller", owner: "tests", purpose: "Calls an MCP tool.", tools: [tool], grants, input: z.unknown(), output: z.unknown(), budget: { perCall: 100_000 }, run: (input, context) => context.tools.call(tool, input) });
  const workflow = defineWorkflow({ name: "call-tool", input: z.unknown(), output: z.unknown(), budget: { perRun: 100_000, allocation: 1_000_000 }, run: (input, ctx) => ctx.call(agent, input) });
  return { agent, workflow };
}

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
});
async function open(options: Parameters<typeof Runtime.open>[0]): Promise<Runtime> {
  const runtime = await Runtime.open({ store: ":memory:", ...options });
  runtimes.push(runtime);
  return runtime;
}

describe("MCP client over stdio: a server's tools as governed Cadre tools", () => {
  it("calls a tool through the tool-call effect: grant, price, journal, the idempotency key in _meta", { timeout: 60_000 }, async () => {
    const crm = stdioCrm({}, { lookup: 10_000 });
    const lookup = crm.tool("lookup");
    expect(lookup).toMatchObject({ name: "mcp:crm:lookup", scope: "mcp:crm:lookup", price: 10_000 });
    const { agent, workflow } = caller(lookup, [{ scope: "mcp:crm:lookup" }]);
    const runtime = await open({ agents: [agent], workflows: [workflow] });
    expect(crm.connected).toBe(true);
    // The schema came from the server when the runtime opened.
    expect(lookup.description).toBe("Looks a customer up by id.");
    const result = await (await runtime.start(workflow, { id: "C-7" })).result();
    expect(result.error).toBeUndefined();
    const output = result.output as { id: string; name: string; meta: Record<string, unknown> };
    expect(output).toMatchObject({ id: "C-7", name: "Customer C-7" });
    const steps = await runtime.getSteps(result.runId);
    const step = steps.find((entry) => entry.name === "mcp:crm:lookup")!;
    expect(step).toMatchObject({ type: "tool", status: "completed" });
    expect(output.meta).toMatchObject({ "cadre/idempotencyKey": step.idempotencyKey, "cadre/runId": result.runId, "cadre/stepKey": step.key, "cadre/agent": "caller" });
    const cost = await openOperator({ store: runtime.store }).runs.cost(result.runId);
    expect(cost).toMatchObject({ spentMicros: 10_000, charges: 1 });
    await runtime.close();
    // The last runtime using the server closed: its process was stopped.
    expect(crm.connected).toBe(false);
  });

  it("tools() is filled when the runtime opens; input is validated against the server's schema before any call", { timeout: 60_000 }, async () => {
    const crm = stdioCrm();
    const all = crm.tools();
    expect(all).toHaveLength(0);
    const agent = defineAgent({ name: "caller", owner: "tests", purpose: "Calls MCP tools.", tools: all, grants: [{ scope: "mcp:crm:*" }], input: z.unknown(), output: z.unknown(), run: (input, context) => context.tools.call("mcp:crm:lookup", input) });
    const workflow = defineWorkflow({ name: "call-tool", input: z.unknown(), output: z.unknown(), run: (input, ctx) => ctx.call(agent, input) });
    const runtime = await open({ agents: [agent], workflows: [workflow] });
    expect(all.map((tool) => tool.name).sort()).toEqual(["mcp:crm:fail", "mcp:crm:hang", "mcp:crm:lookup", "mcp:crm:second"]);
    const result = await (await runtime.start(workflow, { id: "x" })).result();
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "INVALID_INPUT" });
    expect(result.error?.message).toContain("mcp:crm:lookup");
  });

  it("refuses a call without a grant for mcp:<server>:<tool> (PERMISSION_DENIED, audited) and never reaches the server", { timeout: 60_000 }, async () => {
    const state = newState();
    const server = await listenToolServer(state);
    try {
      const crm = mcpServer({ name: "crm", url: server.url });
      const { agent, workflow } = caller(crm.tool("fail"), [{ scope: "mcp:crm:lookup" }]);
      const runtime = await open({ agents: [agent], workflows: [workflow] });
      const result = await (await runtime.start(workflow, {})).result();
      expect(result.error).toMatchObject({ code: "PERMISSION_DENIED" });
      const denials = await runtime.store.db.selectFrom("audit_log").select(["kind", "data"]).where("run_id", "=", result.runId).where("kind", "=", "gateway.deny").execute();
      expect(denials).toHaveLength(1);
      expect(JSON.stringify(denials[0]!.data)).toContain("mcp:crm:fail");
      expect(state.calls.fail).toBeUndefined();
      await runtime.close();
    } finally {
      await server.close();
    }
  });

  it("a tool that answers isError is MCP_TOOL_FAILED with the server's text", { timeout: 60_000 }, async () => {
    const crm = stdioCrm();
    const { agent, workflow } = caller(crm.tool("fail"), [{ scope: "mcp:crm:fail" }]);
    const runtime = await open({ agents: [agent], workflows: [workflow] });
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.error).toMatchObject({ code: "MCP_TOOL_FAILED", retryable: false });
    expect(result.error?.message).toContain("no such customer");
  });

  it("a server that dies mid-call is a retryable MCP_SERVER_UNAVAILABLE; the next call starts it again", { timeout: 90_000 }, async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "cadre-mcp-")), "hang");
    const crm = stdioCrm({ MCP_HANG_MARKER: marker });
    const hang = crm.tool("hang");
    const lookup = crm.tool("lookup");
    const agent = defineAgent({ name: "caller", owner: "tests", purpose: "Calls MCP tools.", tools: [hang, lookup], grants: [{ scope: "mcp:crm:*" }], input: z.string(), output: z.unknown(), run: (name, context) => context.tools.call(name === "hang" ? hang : lookup, name === "hang" ? {} : { id: "C-1" }) });
    const workflow = defineWorkflow({ name: "call-tool", input: z.string(), output: z.unknown(), run: (input, ctx) => ctx.call(agent, input) });
    const runtime = await open({ agents: [agent], workflows: [workflow] });
    const firstPid = crm.pid!;
    expect(firstPid).toBeGreaterThan(0);
    const pending = (await runtime.start(workflow, "hang")).result();
    await until(() => existsSync(marker), "the server to enter the hanging call");
    expect(readFileSync(marker, "utf8")).toBe(String(firstPid));
    process.kill(firstPid, "SIGKILL");
    const failed = await pending;
    expect(failed.error).toMatchObject({ code: "MCP_SERVER_UNAVAILABLE", retryable: true, fault: "system" });
    expect(failed.error?.details).toMatchObject({ server: "crm" });
    const again = await (await runtime.start(workflow, "lookup")).result();
    expect(again.error).toBeUndefined();
    expect(again.output).toMatchObject({ id: "C-1" });
    expect(crm.pid).not.toBe(firstPid);
  });

  it("a tool the server does not offer fails the runtime's open (CONFIGURATION) and stops the server", { timeout: 60_000 }, async () => {
    const crm = stdioCrm();
    const { agent, workflow } = caller(crm.tool("nope"), [{ scope: "mcp:crm:*" }]);
    const error = await Runtime.open({ store: ":memory:", agents: [agent], workflows: [workflow] }).then(
      (runtime) => runtime.close().then(() => undefined),
      (caught: unknown) => caught,
    );
    expect(CadreError.is(error) && error.code).toBe("CONFIGURATION");
    expect((error as Error).message).toContain("lookup");
    expect(crm.connected).toBe(false);
  });

  it("refuses a misdeclared server: bad name, both or neither of command and url, a negative price", () => {
    expect(() => mcpServer({ name: "Bad Name", command: "x" })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ field: "name" }) }));
    expect(() => mcpServer({ name: "crm" } as never)).toThrow(expect.objectContaining({ code: "CONFIGURATION" }));
    expect(() => mcpServer({ name: "crm", url: "ftp://x" })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ field: "url" }) }));
    expect(() => mcpServer({ name: "crm", command: "x" }, { prices: { lookup: -1 } })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ field: "prices" }) }));
  });
});

describe("MCP client over streamable HTTP", () => {
  it("calls a tool on an HTTP MCP server; an unreachable one fails the open with MCP_SERVER_UNAVAILABLE", { timeout: 60_000 }, async () => {
    const state = newState();
    const server = await listenToolServer(state);
    try {
      const crm = mcpServer({ name: "crm", url: server.url });
      const { agent, workflow } = caller(crm.tool("lookup"), [{ scope: "mcp:crm:lookup" }]);
      const runtime = await open({ agents: [agent], workflows: [workflow], mcpServers: [crm] });
      const result = await (await runtime.start(workflow, { id: "H-1" })).result();
      expect(result.output).toMatchObject({ id: "H-1", name: "Customer H-1" });
      expect(state.calls.lookup).toBe(1);
    } finally {
      await server.close();
    }
    const gone = mcpServer({ name: "gone", url: server.url });
    const error = await Runtime.open({ store: ":memory:", mcpServers: [gone] }).then(
      (runtime) => runtime.close().then(() => undefined),
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "MCP_SERVER_UNAVAILABLE", retryable: true });
  });

  it("an HTTP server that restarts (forgetting the session) fails one call with MCP_SERVER_UNAVAILABLE; the next opens a new session", { timeout: 60_000 }, async () => {
    const state = newState();
    let server = await listenToolServer(state);
    try {
      const crm = mcpServer({ name: "crm", url: server.url });
      const { agent, workflow } = caller(crm.tool("lookup"), [{ scope: "mcp:crm:lookup" }]);
      const runtime = await open({ agents: [agent], workflows: [workflow] });
      expect((await (await runtime.start(workflow, { id: "R-1" })).result()).output).toMatchObject({ id: "R-1" });
      await server.close();
      server = await listenToolServer(state, server.port);
      const lost = await (await runtime.start(workflow, { id: "R-2" })).result();
      expect(lost.error, lost.error?.message).toMatchObject({ code: "MCP_SERVER_UNAVAILABLE", retryable: true });
      const again = await (await runtime.start(workflow, { id: "R-3" })).result();
      expect(again.output).toMatchObject({ id: "R-3" });
      expect(state.calls.lookup).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("with tracing on, a call carries the tool span's traceparent in _meta: the server joins the run's trace", { timeout: 60_000 }, async () => {
    const { InMemorySpanExporter } = await import("@opentelemetry/sdk-trace");
    const { createTelemetry } = await import("../../../src/telemetry/index.ts");
    const exporter = new InMemorySpanExporter();
    const state = newState();
    const server = await listenToolServer(state);
    try {
      const crm = mcpServer({ name: "crm", url: server.url });
      const { agent, workflow } = caller(crm.tool("lookup"), [{ scope: "mcp:crm:lookup" }]);
      const runtime = await open({ agents: [agent], workflows: [workflow], observers: [createTelemetry({ spanExporter: exporter })] });
      expect((await (await runtime.start(workflow, { id: "T-1" })).result()).error).toBeUndefined();
      await runtime.close();
      const span = exporter.getFinishedSpans().find((candidate) => candidate.attributes["gen_ai.tool.name"] === "mcp:crm:lookup")!;
      expect(span).toBeDefined();
      expect(state.metas.lookup![0]!.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    } finally {
      await server.close();
    }
  });
});
