import type { Command } from "commander";
import { cliPrincipal, globalOptions, operatorFor, withRuntime } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";

/**
 * `cadre mcp`: the config's exposed workflows and agents as an MCP server on stdin/stdout,
 * until the client closes stdin (or SIGINT/SIGTERM). The caller is the local principal as an
 * admin operator, or the agent whose credential CADRE_AGENT_KEY holds (then only what its
 * `expose:<name>` grants allow is listed and callable). Nothing but the protocol goes to stdout.
 */
export function registerMcpCommands(program: Command): void {
  program
    .command("mcp")
    .description("serve the config's exposed workflows and agents as MCP tools over stdio (CADRE_AGENT_KEY: act as that agent)")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const { StdioServerTransport } = await import("@modelcontextprotocol/server/stdio");
      const { authenticateCaller } = await import("../../server/exposed-calls.ts");
      const { createCadreMcpServer } = await import("../../server/mcp/cadre-mcp-server.ts");
      const { ForbiddenError } = await import("../../server/server-errors.ts");
      await withRuntime(global, async (runtime, config) => {
        const agentKey = process.env.CADRE_AGENT_KEY;
        const caller = agentKey ? await authenticateCaller(operatorFor(runtime.store, config), agentKey) : { kind: "operator" as const, name: cliPrincipal(), role: "admin" as const };
        if (agentKey && caller.kind !== "agent") throw new ForbiddenError({ message: "CADRE_AGENT_KEY holds an operator key; it takes an agent credential (`cadre keys create <agent>`). Unset it to act as the local admin.", reason: "not-an-agent-credential" });
        const transport = new StdioServerTransport();
        const closed = new Promise<void>((resolve) => {
          transport.onclose = () => resolve();
          process.once("SIGINT", () => resolve());
          process.once("SIGTERM", () => resolve());
        });
        const server = createCadreMcpServer({ runtime, caller });
        await server.connect(transport);
        await closed;
        await server.close().catch(() => {});
        // withRuntime closes the runtime: runs still in flight stop and stay resumable.
      });
      process.exitCode = ExitCode.ok;
    });
}
