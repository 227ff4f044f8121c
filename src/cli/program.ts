/** The `cadre` command line: loads only the module of the command asked for, and exits when it is done. */
import { Command, CommanderError } from "commander";
import { commandIndex, requestedCommand } from "./command-index.ts";
import { ExitCode } from "./exit-codes.ts";
import { exitCodeFor, reportError } from "./io.ts";
import { InputValidationError } from "../errors.ts";

const program = new Command("cadre")
  .description("Cadre: durable, governed multi-agent workflows")
  .option("--store <location>", "store: a SQLite file or postgres:// URL (default: $CADRE_STORE or .cadre/cadre.db)")
  .option("--config <path>", "config file with agents and workflows (default: ./cadre.config.ts)")
  .option("--json", "machine-readable JSON output")
  .option("--log-format <format>", "log lines on stderr: json (one object a line) or pretty (default on a terminal); same as $CADRE_LOG_FORMAT")
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

// Set before any command runs: the runtime's loggers read it when they are created.
program.hook("preAction", (command) => {
  const format = (command.optsWithGlobals() as { logFormat?: string }).logFormat;
  if (format === undefined) return;
  // Checked here rather than with the logger's own list: the root help must not load the logger (pino).
  if (format !== "json" && format !== "pretty") throw new InputValidationError({ message: `--log-format must be json or pretty; got "${format}".`, logFormat: format });
  process.env.CADRE_LOG_FORMAT = format;
});

const valueOptions = new Set(program.options.filter((option) => option.required || option.optional).flatMap((option) => [option.long, option.short].filter((flag) => flag !== undefined)));
const requested = requestedCommand(process.argv.slice(2), valueOptions);
if (requested) (await requested.load())(program);
// No command named (root help, or a mistyped one): list them all from the index, loading none of them.
else for (const command of commandIndex) program.command(command.usage).description(command.summary);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    reportError(error, Boolean(program.opts().json));
    process.exitCode = exitCodeFor(error);
  }
}
await exitWhenFlushed(Number(process.exitCode ?? ExitCode.ok));

/**
 * The command is done (its runtime closed): exit even if user code loaded by the config left
 * a server, a socket or a timer open, once everything written has reached stdout and stderr.
 */
async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => (stream.writableLength === 0 ? resolve() : stream.write("", () => resolve())))));
  process.exit(code);
}
