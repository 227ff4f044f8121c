import { z } from "zod";
import { ConfigurationError } from "../../errors.ts";
import type { CircuitBreakerOptions } from "../../engine/agent-policies.ts";
import type { Tool, ToolPrice } from "../../governance/define-tool.ts";
import type { DataClass } from "../../policy/data-classes.ts";
import { McpConnection, type McpEndpoint, type McpToolInfo } from "./mcp-connection.ts";
import { callMcpTool, inputSchemaOf, mcpToolName, mcpToolScope } from "./mcp-tool.ts";

/** An MCP server Cadre starts as a child process and speaks to over stdio. */
export interface McpStdioServerSpec {
  /** Kebab-case; the server's tools are named `mcp:<name>:<tool>`. */
  name: string;
  command: string;
  args?: string[];
  /** Added to the safe subset of this process's environment (PATH, HOME, ...) the child gets. */
  env?: Record<string, string>;
  cwd?: string;
}

/** An MCP server reached over streamable HTTP. */
export interface McpHttpServerSpec {
  name: string;
  url: string;
  /** Sent with every request, e.g. `{ authorization: "Bearer ..." }`. */
  headers?: Record<string, string>;
}

export type McpServerSpec = McpStdioServerSpec | McpHttpServerSpec;

/** How Cadre governs the server's tools; every setting applies to each of its tools. */
export interface McpServerOptions {
  /** Micro-units per call, by the server's tool name (default 0): `{ lookup: usd(0.01) }`. A function gets the input (worst case) and then the output. */
  prices?: Record<string, ToolPrice<unknown, unknown>>;
  /** Milliseconds before a call is aborted (default: no limit but the agent's). */
  timeout?: number;
  /** What kind of data the tools handle, for policies. */
  dataClass?: DataClass;
  /** Where the tools send data, for residency policies. */
  region?: string;
  circuitBreaker?: CircuitBreakerOptions;
}

/**
 * An MCP server as Cadre sees it: its tools are Cadre tools (`mcp:<server>:<tool>`, scope
 * `mcp:<server>:<tool>`), called through the tool-call effect like any other (grant, price,
 * journal, timeout, breaker). Give an agent `server.tool("lookup")`, `server.tools(["a", "b"])`
 * or `server.tools()` (all of them) before any runtime opens: the tools' schemas (and, for
 * `tools()`, the list itself) are read from the server when the first runtime using it opens.
 */
export interface McpServer {
  readonly kind: "mcp-server";
  readonly name: string;
  readonly endpoint: McpEndpoint;
  readonly options: McpServerOptions;
  /** One of the server's tools by its MCP name; the server must offer it when the runtime opens (CONFIGURATION otherwise). */
  tool(name: string): Tool;
  /** The named tools, or every tool the server offers: an array filled when the first runtime using the server opens. */
  tools(names?: string[]): Tool[];
  /** Whether a session with the server is open now. */
  readonly connected: boolean;
  /** The process id of a stdio server while connected. */
  readonly pid: number | undefined;
  /**
   * Opens the session (starting a stdio server) and reads the tools, for one user (a runtime);
   * the session is shared and ends when the last user releases it. Runtimes do this themselves.
   */
  open(): Promise<() => Promise<void>>;
}

const serverNamePattern = /^[a-z][a-z0-9-]{0,62}$/;
/** The characters the MCP specification allows in a tool name. */
const mcpToolNamePattern = /^[A-Za-z0-9_.-]{1,128}$/;
const defaultCallTimeoutMs = 24 * 60 * 60 * 1000;

/** The server of an MCP tool (how a runtime finds the servers its agents' tools need). */
const serverOfTool = new WeakMap<Tool, McpServer>();

/** The server of a `tools()` list, empty until the server is opened: an agent whose tools are that list needs the server. */
const serverOfToolList = new WeakMap<readonly Tool[], McpServer>();

export function mcpServerOf(tool: Tool): McpServer | undefined {
  return serverOfTool.get(tool);
}

/** Declares an MCP server; nothing starts until a runtime using it opens. */
export function mcpServer(spec: McpServerSpec, options: McpServerOptions = {}): McpServer {
  const endpoint = checkSpec(spec);
  checkOptions(spec.name, options);
  const connection = new McpConnection(spec.name, endpoint);
  const byName = new Map<string, Tool>();
  /** `tools()`: every tool the server offers, filled in place when the session opens. */
  const everyTool: Tool[] = [];
  let users = 0;
  let opening: Promise<void> | undefined;

  const toolNamed = (name: string): Tool => {
    let tool = byName.get(name);
    if (tool) return tool;
    if (!mcpToolNamePattern.test(name)) throw new ConfigurationError({ message: `mcpServer "${spec.name}" has no usable tool named ${JSON.stringify(name)}: MCP tool names are 1 to 128 letters, digits, "_", "-" or ".".`, server: spec.name, tool: name, field: "tools" });
    tool = {
      kind: "tool",
      name: mcpToolName(spec.name, name),
      description: `Tool ${name} of the MCP server ${spec.name} (its schema is read when a runtime opens).`,
      // Replaced by the server's schema when the session opens; until then nothing is accepted.
      input: z.unknown().refine(() => false, { message: `the MCP server "${spec.name}" has not been opened by a runtime yet` }),
      output: z.unknown(),
      scope: mcpToolScope(spec.name, name),
      ...(options.prices?.[name] !== undefined ? { price: options.prices[name] } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.dataClass ? { dataClass: options.dataClass } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.circuitBreaker ? { circuitBreaker: options.circuitBreaker } : {}),
      run: (input, context) => callMcpTool({ server: spec.name, tool: name, connection }, input, context, options.timeout ?? defaultCallTimeoutMs),
    };
    byName.set(name, tool);
    serverOfTool.set(tool, handle);
    return tool;
  };

  /** Reads the server's tools and gives every Cadre tool its schema; a named tool the server lacks is a CONFIGURATION error. */
  const readTools = async (): Promise<void> => {
    const offered = await connection.listTools();
    const infos = new Map(offered.map((info) => [info.name, info]));
    for (const name of byName.keys()) {
      if (!infos.has(name)) throw new ConfigurationError({ message: `An agent uses the tool "${name}" of the MCP server "${spec.name}", which does not offer it (it offers ${[...infos.keys()].join(", ") || "no tools"}).`, server: spec.name, tool: name, field: "tools" });
    }
    for (const name of Object.keys(options.prices ?? {})) {
      if (!infos.has(name)) throw new ConfigurationError({ message: `mcpServer "${spec.name}" prices the tool "${name}", which the server does not offer (it offers ${[...infos.keys()].join(", ") || "no tools"}).`, server: spec.name, tool: name, field: "prices" });
    }
    everyTool.length = 0;
    // A name outside the MCP alphabet (a "/" would split Cadre's step keys) is left out of tools().
    for (const info of offered) if (mcpToolNamePattern.test(info.name)) everyTool.push(describe(toolNamed(info.name), info, spec.name));
  };

  const handle: McpServer = {
    kind: "mcp-server",
    name: spec.name,
    endpoint,
    options,
    tool: toolNamed,
    tools: (names) => (names ? names.map(toolNamed) : everyTool),
    get connected() {
      return connection.connected;
    },
    get pid() {
      return connection.pid;
    },
    open: async () => {
      users += 1;
      try {
        opening ??= readTools().finally(() => (opening = undefined));
        await opening;
      } catch (error) {
        users -= 1;
        if (users === 0) await connection.close();
        throw error;
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        users -= 1;
        if (users === 0) await connection.close();
      };
    },
  };
  serverOfToolList.set(everyTool, handle);
  return handle;
}

/** The Cadre tool with what the server says of it: description and input schema. */
function describe(tool: Tool, info: McpToolInfo, server: string): Tool {
  tool.description = info.description ?? info.title ?? `Tool ${info.name} of the MCP server ${server}.`;
  tool.input = inputSchemaOf(info, server);
  return tool;
}

function checkSpec(spec: McpServerSpec): McpEndpoint {
  const name = (spec as { name?: unknown }).name;
  if (typeof name !== "string" || !serverNamePattern.test(name)) {
    throw new ConfigurationError({ message: `An MCP server's name must be kebab-case (lowercase letters, digits, dashes), not ${JSON.stringify(name)}: its tools are named mcp:<name>:<tool>.`, field: "name", server: name });
  }
  const hasCommand = "command" in spec && spec.command !== undefined;
  const hasUrl = "url" in spec && spec.url !== undefined;
  if (hasCommand === hasUrl) throw new ConfigurationError({ message: `mcpServer "${name}" needs exactly one of command (a stdio server Cadre starts) or url (a streamable HTTP endpoint).`, server: name, field: hasCommand ? "url" : "command" });
  if (hasUrl) {
    const { url, headers } = spec as McpHttpServerSpec;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigurationError({ message: `mcpServer "${name}" has url ${JSON.stringify(url)}, which is not a URL (e.g. http://127.0.0.1:8080/mcp).`, server: name, field: "url" });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigurationError({ message: `mcpServer "${name}" has url ${url}: streamable HTTP needs http: or https:.`, server: name, field: "url" });
    return { url, ...(headers ? { headers } : {}) };
  }
  const { command, args, env, cwd } = spec as McpStdioServerSpec;
  if (typeof command !== "string" || command.trim() === "") throw new ConfigurationError({ message: `mcpServer "${name}" has an empty command.`, server: name, field: "command" });
  if (args !== undefined && (!Array.isArray(args) || args.some((arg) => typeof arg !== "string"))) throw new ConfigurationError({ message: `mcpServer "${name}" has args that are not a list of strings.`, server: name, field: "args" });
  return { command, ...(args ? { args } : {}), ...(env ? { env } : {}), ...(cwd ? { cwd } : {}) };
}

function checkOptions(name: string, options: McpServerOptions): void {
  for (const [tool, price] of Object.entries(options.prices ?? {})) {
    if (typeof price === "function") continue;
    if (!Number.isSafeInteger(price) || price < 0) throw new ConfigurationError({ message: `mcpServer "${name}" prices ${tool} at ${String(price)}: prices are non-negative integer micro-units (usd(0.01) for one cent).`, server: name, tool, field: "prices" });
  }
  if (options.timeout !== undefined && (!Number.isSafeInteger(options.timeout) || options.timeout <= 0)) throw new ConfigurationError({ message: `mcpServer "${name}" has timeout ${options.timeout}: a whole number of milliseconds above 0.`, server: name, field: "timeout" });
}

/** Opens every server for one runtime; if one fails, those already opened are released and the error is thrown. */
export async function openMcpServers(servers: readonly McpServer[]): Promise<{ close(): Promise<void> }> {
  const releases: Array<() => Promise<void>> = [];
  const close = async () => void (await Promise.all(releases.splice(0).map((release) => release())));
  try {
    for (const server of servers) releases.push(await server.open());
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}

/** The servers a runtime needs: those configured and those whose tools its agents hold (or whose `tools()` list is an agent's tools), each once. */
export function mcpServersFor(configured: readonly McpServer[], agents: ReadonlyArray<{ tools?: readonly Tool[] }>): McpServer[] {
  const servers = new Map<string, McpServer>();
  const used = agents.flatMap((agent) => [...(agent.tools ? [serverOfToolList.get(agent.tools)] : []), ...(agent.tools ?? []).map((tool) => mcpServerOf(tool))]);
  for (const server of [...configured, ...used.filter((server) => server !== undefined)]) {
    const known = servers.get(server.name);
    if (known && known !== server) throw new ConfigurationError({ message: `Two MCP servers are named "${server.name}"; names must be unique (their tools are mcp:${server.name}:<tool>).`, server: server.name, field: "name" });
    servers.set(server.name, server);
  }
  return [...servers.values()];
}
