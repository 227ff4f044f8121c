#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { registerAccessCommands } from "./commands/access.ts";
import { registerAgentsCommands } from "./commands/agents.ts";
import { registerApprovalCommands } from "./commands/approvals.ts";
import { registerAuditCommands } from "./commands/audit.ts";
import { registerMoneyCommands } from "./commands/money.ts";
import { registerRunCommands } from "./commands/run.ts";
import { registerRunsCommands } from "./commands/runs.ts";
import { ExitCode } from "./exit-codes.ts";
import { exitCodeFor, reportError } from "./io.ts";

const program = new Command("cadre")
  .description("Cadre: durable, governed multi-agent workflows")
  .option("--store <location>", "store: a SQLite file or postgres:// URL (default: $CADRE_STORE or .cadre/cadre.db)")
  .option("--config <path>", "config file with agents and workflows (default: ./cadre.config.ts)")
  .option("--json", "machine-readable JSON output")
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

registerRunCommands(program);
registerRunsCommands(program);
registerAgentsCommands(program);
registerAccessCommands(program);
registerMoneyCommands(program);
registerAuditCommands(program);
registerApprovalCommands(program);

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
