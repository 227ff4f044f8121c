import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { describe, expect, it } from "vitest";
import { openOperator, Runtime } from "../../../src/index.ts";
import { repositoryRoot } from "../../helpers/cli.ts";
import config from "./fixtures/mcp.config.ts";

const cli = join(repositoryRoot, "dist/cli/main.js");
const configPath = join(import.meta.dirname, "fixtures/mcp.config.ts");
const inspector = join(repositoryRoot, "node_modules/.bin/mcp-inspector");
const freshStore = () => join(mkdtempSync(join(tmpdir(), "cadre-mcp-stdio-")), "cadre.db");

/** The official MCP client, speaking to `cadre mcp` in a child process over stdio. */
async function connectStdio(store: string, env: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, "mcp", "--config", configPath, "--store", store], env: { ...getDefaultEnvironment(), CADRE_PRINCIPAL: "tess", ...env }, stderr: "pipe" }));
  return client;
}

/** What the store recorded, read once the child has exited. */
async function withStore<T>(store: string, read: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await Runtime.open({ store, ...config });
  try {
    return await read(runtime);
  } finally {
    await runtime.close();
  }
}

describe("cadre mcp: the exposed targets over stdio", () => {
  it("the official client lists and calls them as the local principal (an admin operator)", { timeout: 90_000 }, async () => {
    const store = freshStore();
    const client = await connectStdio(store);
    let runId: string;
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(["echo", "greet"]);
      const result = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
      expect(result.structuredContent).toEqual({ greeting: "hello Ada" });
      runId = result._meta?.["cadre/runId"] as string;
      const echoed = await client.callTool({ name: "echo", arguments: { input: "hi" } });
      expect(echoed.structuredContent).toEqual({ result: "hi" });
    } finally {
      await client.close();
    }
    const run = await withStore(store, (runtime) => runtime.getRun(runId));
    expect(run).toMatchObject({ workflow: "greet", status: "completed", principal: "operator:tess" });
  });

  it("with CADRE_AGENT_KEY it acts as that agent: nothing listed or callable without expose:<name>, the refusal audited", { timeout: 90_000 }, async () => {
    const store = freshStore();
    const secret = await withStore(store, async (runtime) => (await openOperator({ store: runtime.store }).credentials.create("buyer")).secret);
    const client = await connectStdio(store, { CADRE_AGENT_KEY: secret });
    try {
      expect((await client.listTools()).tools).toEqual([]);
      const refused = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
      expect(refused.isError).toBe(true);
      expect((refused.content as Array<{ text: string }>)[0]!.text).toMatch(/^FORBIDDEN: agent:buyer may not call workflow greet/);
    } finally {
      await client.close();
    }
    const denied = await withStore(store, (runtime) => runtime.store.db.selectFrom("audit_log").select(["kind", "principal"]).where("kind", "=", "expose.denied").execute());
    expect(denied).toEqual([{ kind: "expose.denied", principal: "agent:buyer" }]);
    await withStore(store, (runtime) => openOperator({ store: runtime.store }).grants.add("buyer", { scope: "expose:greet" }));
    const granted = await connectStdio(store, { CADRE_AGENT_KEY: secret });
    try {
      expect((await granted.listTools()).tools.map((tool) => tool.name)).toEqual(["greet"]);
      expect((await granted.callTool({ name: "greet", arguments: { name: "Bo" } })).structuredContent).toEqual({ greeting: "hello Bo" });
    } finally {
      await granted.close();
    }
  });
});

describe("the MCP Inspector CLI against cadre mcp", () => {
  const run = (args: string[], store: string) => {
    const result = spawnSync(inspector, ["--cli", ...args, "--", process.execPath, cli, "mcp", "--config", join(repositoryRoot, "examples/credit-risk/cadre.config.ts"), "--store", store], { cwd: repositoryRoot, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
    if (result.status !== 0) throw new Error(`mcp-inspector exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  it("lists credit-decision and calls it with applicantId=A-1001", { timeout: 180_000 }, () => {
    const store = freshStore();
    const listed = run(["--method", "tools/list"], store) as { tools: Array<{ name: string; inputSchema: unknown }> };
    expect(listed.tools.map((tool) => tool.name)).toEqual(["credit-decision"]);
    expect(listed.tools[0]!.inputSchema).toMatchObject({ type: "object", required: ["applicantId"] });
    const called = run(["--method", "tools/call", "--tool-name", "credit-decision", "--tool-arg", "applicantId=A-1001"], store) as { structuredContent: { applicantId: string; decision: string }; isError?: boolean };
    expect(called.isError).toBeFalsy();
    expect(called.structuredContent).toMatchObject({ applicantId: "A-1001" });
    expect(["approve", "refer", "decline"]).toContain(called.structuredContent.decision);
  });
});

describe("mcpServers in a config file", () => {
  it("cadre run uses an MCP server's tool declared in the config, charged at its price", { timeout: 90_000 }, async () => {
    const { cadre } = await import("../../helpers/cli.ts");
    const store = freshStore();
    const clientConfig = join(import.meta.dirname, "fixtures/client.config.ts");
    const result = cadre(["run", "customer-name", "--input", JSON.stringify({ id: "C-5" }), "--config", clientConfig, "--store", store, "--json"]);
    expect(result.status, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { runId: string; output: string };
    expect(printed.output).toBe("Customer C-5");
    const spend = cadre(["spend", "--by", "tool", "--json", "--config", clientConfig, "--store", store]);
    expect(spend.status, spend.stderr).toBe(0);
    expect(JSON.parse(spend.stdout)).toEqual([expect.objectContaining({ key: "mcp:crm:lookup", calls: 1, spentMicros: 10_000 })]);
  });
});
