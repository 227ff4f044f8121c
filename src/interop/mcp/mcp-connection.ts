import type { CallToolResult, Client, Tool as McpToolInfo } from "@modelcontextprotocol/client";
import { CadreError } from "../../errors.ts";
import { McpServerUnavailableError, McpToolFailedError } from "./mcp-errors.ts";

/** How to reach an MCP server: a command Cadre starts and speaks to over stdio, or a streamable HTTP endpoint. */
export type McpEndpoint = { command: string; args?: string[]; env?: Record<string, string>; cwd?: string } | { url: string; headers?: Record<string, string> };

export type { McpToolInfo };

/** What a call sends besides the arguments: the `_meta` the server reads (idempotency key, traceparent). */
export interface McpCallOptions {
  signal: AbortSignal;
  meta: Record<string, unknown>;
  /** Milliseconds the SDK waits for the answer; the tool-call effect's own timeout aborts `signal` sooner. */
  timeoutMs: number;
}

/**
 * One live session with one MCP server, shared by every runtime of the process that uses it.
 * The SDK loads with the first connection, not with the runtime. When the server goes away
 * (its process exits, its HTTP endpoint closes the session), the session is dropped and the
 * next call starts a new one: a crashed stdio server is restarted on its next use.
 */
export class McpConnection {
  readonly #server: string;
  readonly #endpoint: McpEndpoint;
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  /** Bumped by every new session: a call that began on an older one knows its server went away. */
  #generation = 0;

  constructor(server: string, endpoint: McpEndpoint) {
    this.#server = server;
    this.#endpoint = endpoint;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** The pid of the stdio server's process while connected (tests kill it to simulate a crash). */
  pid: number | undefined;

  /** The session, started when there is none. MCP_SERVER_UNAVAILABLE when the server cannot be started or reached. */
  async client(): Promise<Client> {
    if (this.#client) return this.#client;
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Every tool the server offers, all pages. */
  async listTools(): Promise<McpToolInfo[]> {
    const client = await this.client();
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
    } catch (error) {
      throw this.#unavailable(`listing its tools failed: ${(error as Error).message}`, error);
    }
    return tools;
  }

  /**
   * Calls a tool. The server's own failure (`isError: true`, or a protocol error answering the
   * call) is MCP_TOOL_FAILED; the server going away before it answered is MCP_SERVER_UNAVAILABLE
   * (retryable). An aborted call (timeout, cancellation) throws the signal's reason.
   */
  async callTool(tool: string, input: unknown, options: McpCallOptions): Promise<CallToolResult> {
    const client = await this.client();
    const generation = this.#generation;
    let result: CallToolResult;
    try {
      result = (await client.callTool({ name: tool, arguments: input as Record<string, unknown>, _meta: options.meta }, { signal: options.signal, timeout: options.timeoutMs })) as CallToolResult;
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason ?? error;
      if (CadreError.is(error)) throw error;
      // The session ended under the call: the server crashed, closed it or forgot it. Anything else is its answer.
      if (!this.#client || generation !== this.#generation || isConnectionLost(error)) {
        // Dropped, so the next call starts a new session (an HTTP server that restarted no longer knows the old one).
        if (this.#client === client) await this.#drop(client);
        throw this.#unavailable(`it went away during the call of ${tool}: ${(error as Error).message}`, error);
      }
      throw new McpToolFailedError({ message: `MCP server "${this.#server}" refused the call of ${tool}: ${(error as Error).message}`, server: this.#server, tool }, { cause: error });
    }
    return result;
  }

  async #drop(client: Client): Promise<void> {
    this.#client = undefined;
    this.pid = undefined;
    await client.close().catch(() => {});
  }

  /** Ends the session (a stdio server's process is stopped). */
  async close(): Promise<void> {
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    this.pid = undefined;
    await client?.close().catch(() => {});
  }

  async #connect(): Promise<Client> {
    const { Client } = await import("@modelcontextprotocol/client");
    const client = new Client({ name: "cadre", version: "0.1.0" });
    const transport = await this.#transport();
    const generation = (this.#generation += 1);
    // Only the session this handler belongs to is dropped: a newer one may already have replaced it.
    client.onclose = () => {
      if (this.#generation === generation && this.#client === client) {
        this.#client = undefined;
        this.pid = undefined;
      }
    };
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => {});
      throw this.#unavailable(`it could not be ${"url" in this.#endpoint ? `reached at ${this.#endpoint.url}` : `started with \`${[this.#endpoint.command, ...(this.#endpoint.args ?? [])].join(" ")}\``}: ${(error as Error).message}`, error);
    }
    this.#client = client;
    this.pid = "pid" in transport ? ((transport as { pid: number | null }).pid ?? undefined) : undefined;
    return client;
  }

  async #transport() {
    const endpoint = this.#endpoint;
    if ("url" in endpoint) {
      const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
      return new StreamableHTTPClientTransport(new URL(endpoint.url), endpoint.headers ? { requestInit: { headers: endpoint.headers } } : undefined);
    }
    const { StdioClientTransport, getDefaultEnvironment } = await import("@modelcontextprotocol/client/stdio");
    // The SDK passes only a safe subset of the environment (PATH, HOME...) unless told otherwise: the given variables add to it.
    return new StdioClientTransport({ command: endpoint.command, args: endpoint.args ?? [], env: { ...getDefaultEnvironment(), ...endpoint.env }, ...(endpoint.cwd ? { cwd: endpoint.cwd } : {}), stderr: "inherit" });
  }

  #unavailable(reason: string, cause: unknown): McpServerUnavailableError {
    return new McpServerUnavailableError({ message: `MCP server "${this.#server}" is unavailable: ${reason}.`, fix: "The next call starts it again (or reconnects); check its command or URL if this persists.", server: this.#server }, { cause });
  }
}

/** The SDK's errors for a session that ended: the connection closed, the transport failed to send. */
function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // An HTTP server answers 404 to a session it does not know (it restarted), 5xx when it is failing.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && (status === 404 || status >= 500)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return code === "CONNECTION_CLOSED" || code === "NOT_CONNECTED" || code === "SEND_FAILED" || /connection closed|not connected|ECONNREFUSED|ECONNRESET|socket hang up|fetch failed/i.test(message);
}
