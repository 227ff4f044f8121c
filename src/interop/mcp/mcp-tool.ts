import { z } from "zod";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { ConfigurationError } from "../../errors.ts";
import type { ToolContext } from "../../governance/define-tool.ts";
import type { McpConnection, McpToolInfo } from "./mcp-connection.ts";
import { McpToolFailedError } from "./mcp-errors.ts";

/**
 * The Cadre name of an MCP tool: `mcp:<server>:<tool>`, the same as its grant scope (offered to
 * models as `mcp_<server>_<tool>`). Not `mcp:<server>/<tool>`: `/` separates the levels of a
 * step key (`2.t/1:name`), and a name holding one would be misread as a deeper step on resume.
 */
export const mcpToolName = (server: string, tool: string) => `mcp:${server}:${tool}`;

/** The grant scope an agent needs to call it: `mcp:<server>:<tool>` (`mcp:<server>:*` for all of a server's tools). */
export const mcpToolScope = (server: string, tool: string) => `mcp:${server}:${tool}`;

/**
 * The `_meta` keys a call carries: the effect's idempotency key (stable across retries and
 * resumes of the step, so the server can de-duplicate), the run and step, and the W3C traceparent.
 */
export const mcpMetaKeys = { idempotencyKey: "cadre/idempotencyKey", runId: "cadre/runId", stepKey: "cadre/stepKey", agent: "cadre/agent", traceparent: "traceparent" } as const;

/** The tool's input schema as zod, from the JSON Schema the server published: Cadre validates before the call. */
export function inputSchemaOf(info: McpToolInfo, server: string): z.ZodType {
  try {
    return z.fromJSONSchema(info.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new ConfigurationError({ message: `The MCP server "${server}" published an input schema for ${info.name} that Cadre cannot read: ${(error as Error).message}.`, server, tool: info.name, field: "inputSchema" }, { cause: error });
  }
}

/** One call: the server's structured content when it gives one, else its text (one block: that text), else its content blocks. */
export async function callMcpTool(target: { server: string; tool: string; connection: McpConnection }, input: unknown, context: ToolContext, timeoutMs: number): Promise<unknown> {
  const meta: Record<string, unknown> = { [mcpMetaKeys.idempotencyKey]: context.idempotencyKey, [mcpMetaKeys.runId]: context.runId, [mcpMetaKeys.stepKey]: context.stepKey, [mcpMetaKeys.agent]: context.agent };
  if (context.traceparent) meta[mcpMetaKeys.traceparent] = context.traceparent;
  const result = await target.connection.callTool(target.tool, input ?? {}, { signal: context.signal, meta, timeoutMs });
  if (result.isError) {
    throw new McpToolFailedError({ message: `The tool ${target.tool} of the MCP server "${target.server}" failed: ${textOf(result) || "(no message)"}`, server: target.server, tool: target.tool });
  }
  return outputOf(result);
}

function outputOf(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const texts = result.content.filter((block) => block.type === "text");
  if (texts.length === result.content.length && texts.length > 0) return textOf(result);
  return result.content;
}

function textOf(result: CallToolResult): string {
  return result.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
}
