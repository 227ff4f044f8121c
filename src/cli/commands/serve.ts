import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import { globalOptions, withRuntime } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";
import { printJson, style } from "../io.ts";

interface ServeOptions {
  port: string;
  host: string;
  dev?: boolean;
  quiet?: boolean;
  maxBodyBytes: string;
  payTo?: string;
  allowedHost: string[];
}

/** `cadre serve`: the HTTP API over the config's workflows and the store, until SIGINT or SIGTERM. */
export function registerServeCommands(program: Command): void {
  program
    .command("serve")
    .description("serve the HTTP API (and SSE events) over the store and the config's workflows")
    .option("--port <n>", "port (0: any free port)", "7070")
    .option("--host <address>", "address to listen on; loopback unless told otherwise", "127.0.0.1")
    .option("--dev", "local playground: no keys, every request acts as the admin \"local\" (loopback only)")
    .option("--max-body-bytes <n>", "largest request body", String(1024 * 1024))
    .option("--quiet", "no access log on stderr")
    .option("--pay-to <name>", "the payee name x402 payments for priced exposed agents and workflows are made out to", "cadre")
    .option("--allowed-host <name>", "a hostname /mcp accepts in Host and Origin besides loopback (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action(async (options: ServeOptions, command: Command) => {
      const global = globalOptions(command);
      const port = integerOption("--port", options.port, 0, 65_535);
      const maxBodyBytes = integerOption("--max-body-bytes", options.maxBodyBytes, 1, 2 ** 31);
      // Refused before anything opens: the playground never listens where others could reach it.
      const { assertPlaygroundHost, listen } = await import("../../server/listen.ts");
      if (options.dev) assertPlaygroundHost(options.host);
      await withRuntime(global, async (runtime) => {
        const log = options.quiet ? undefined : (line: string) => process.stderr.write(`${style.dim(line)}\n`);
        const server = await listen({ runtime, auth: options.dev ? { mode: "dev" } : { mode: "keys" }, host: options.host, port, maxBodyBytes, log, allowedHosts: options.allowedHost, x402: { payTo: options.payTo ?? "cadre" } });
        if (global.json) printJson({ url: server.url, dev: Boolean(options.dev) });
        else {
          process.stdout.write(`cadre serve: ${server.url}${options.dev ? "  (dev playground: no keys, acting as admin \"local\")" : ""}\n`);
          if (!options.dev) process.stderr.write(style.dim("Send an operator key as `Authorization: Bearer <key>`; create one with `cadre keys create --operator <name> --role admin`.\n"));
          const a2a = runtime.exposed.filter((target) => target.via.includes("a2a")).map((target) => target.name);
          if (a2a.length > 0) process.stderr.write(style.dim(`A2A: ${server.url}/.well-known/agent-card.json (skills: ${a2a.join(", ")}; one agent each at ${server.url}/a2a/<name>)\n`));
        }
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once("SIGINT", () => resolve("SIGINT"));
          process.once("SIGTERM", () => resolve("SIGTERM"));
        });
        process.stderr.write(`${signal}: shutting down (no new connections; event streams closed; runs in flight stop and stay resumable)\n`);
        await server.close();
        // withRuntime closes the runtime, which aborts runs in flight and closes the store.
      });
      process.exitCode = ExitCode.ok;
    });
}

function integerOption(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new InputValidationError({ message: `${flag} must be a whole number from ${min} to ${max}; got "${text}".`, flag, value: text });
  return value;
}
