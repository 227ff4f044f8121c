import { Server, type CallToolResult, type ServerContext } from "@modelcontextprotocol/server";
import { toCadreError, type CadreError } from "../../errors.ts";
import type { RuntimeEvent } from "../../engine/events.ts";
import type { RunHandle } from "../../workflow/run-handle.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { callableTargets, callerPrincipal, startExposedCall, type Caller } from "../exposed-calls.ts";
import { inputFromArguments, structuredOutput, toolDescriptor } from "./exposed-tools.ts";

/** Where the run an MCP call started is named in the result's `_meta` (look it up with `cadre show <runId>`). */
export const runIdMetaKey = "cadre/runId";

/**
 * One MCP session's server for one caller: tools/list shows the exposed targets the caller may
 * call; tools/call starts a run of one (refused and audited when the caller may not), reports
 * its steps as progress when the client asked for progress, and answers with its output as
 * structured content and text. A failed run is `isError: true` with the Cadre error's code and message.
 */
export function createCadreMcpServer(options: { runtime: Runtime; caller: Caller }): Server {
  const { runtime, caller } = options;
  // The low-level server: the tool list depends on the caller and is computed per request.
  const server = new Server({ name: "cadre", version: "0.1.0" }, { capabilities: { tools: { listChanged: false } } });
  server.setRequestHandler("tools/list", async () => ({ tools: (await callableTargets(runtime, caller, "mcp")).map(toolDescriptor) }));
  server.setRequestHandler("tools/call", async (request, ctx) => {
    const target = runtime.exposed.find((candidate) => candidate.name === request.params.name && candidate.via.includes("mcp"));
    if (!target) return failure(`UNKNOWN_WORKFLOW: no tool ${request.params.name} is offered over MCP; tools/list shows the ones you may call.`);
    let handle: RunHandle;
    try {
      handle = await startExposedCall(runtime, { caller, target, input: inputFromArguments(target, request.params.arguments), via: "mcp" });
    } catch (error) {
      return failure(describe(toCadreError(error)));
    }
    // The client's explicit cancellation cancels the run; a connection that drops leaves it running (durable, visible by its id).
    const cancel = () => {
      if ((ctx.mcpReq.signal.reason as { code?: unknown } | undefined)?.code === "CONNECTION_CLOSED") return;
      void runtime.cancel(handle.runId, { principal: callerPrincipal(caller), reason: "the MCP client cancelled the call" }).catch(() => {});
    };
    ctx.mcpReq.signal.addEventListener("abort", cancel, { once: true });
    try {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      const reporting = progressToken === undefined ? Promise.resolve() : reportProgress(handle, ctx, progressToken);
      const result = await handle.result();
      await reporting;
      const meta = { [runIdMetaKey]: handle.runId };
      if (result.status === "completed" || result.status === "partial") {
        return { content: [{ type: "text", text: JSON.stringify(result.output ?? null) }], structuredContent: structuredOutput(result.output), _meta: meta };
      }
      if (result.status === "waiting") return { ...failure(`Run ${handle.runId} is waiting (an approval or an event); it continues when answered: see \`cadre approvals\` and \`cadre show ${handle.runId}\`.`), _meta: meta };
      const error = result.error;
      return { ...failure(error ? `${error.code}: ${error.message}` : `Run ${handle.runId} ended ${result.status}.`), _meta: meta };
    } finally {
      ctx.mcpReq.signal.removeEventListener("abort", cancel);
    }
  });
  return server;
}

/** One progress notification per step that ends (and a last one at the run's end); `total` is unknown while it runs. */
async function reportProgress(handle: RunHandle, ctx: ServerContext, progressToken: string | number): Promise<void> {
  let progress = 0;
  const notify = (message: string) => ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken, progress: (progress += 1), message } }).catch(() => {});
  for await (const event of handle.events() as AsyncIterable<RuntimeEvent>) {
    if (event.event === "step-end" && event.runId === handle.runId) await notify(`${event.key} ${event.status}`);
    else if (event.event === "run-end" && event.runId === handle.runId) await notify(`run ${event.status}`);
  }
}

function failure(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

function describe(error: CadreError): string {
  return `${error.code}: ${error.message}`;
}
