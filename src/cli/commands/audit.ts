import { once } from "node:events";
import type { Command } from "commander";
import { readAuditRows, toAuditRecord, verifyAuditChain } from "../../governance/audit-log.ts";
import { globalOptions, withStore } from "../cli-context.ts";
import { ExitCode } from "../exit-codes.ts";
import { printJson, style } from "../io.ts";

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("the hash-chained audit log");

  audit
    .command("verify")
    .description("walk every link of the chain; exit 1 naming the first broken record")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const result = await withStore(global, (store) => verifyAuditChain(store.db));
      if (global.json) printJson(result);
      else if (result.ok) process.stdout.write(`${style.green("ok")}: ${result.records} records, chain intact, head ${result.head.slice(0, 16)}…\n`);
      else process.stdout.write(`${style.red("broken")} at record ${result.brokenAt}: ${result.reason}\n`);
      process.exitCode = result.ok ? ExitCode.ok : ExitCode.failed;
    });

  audit
    .command("export")
    .description("write every record as JSON lines (hashes included) on stdout")
    .option("--jsonl", "JSON lines (the only format, accepted for clarity)")
    .option("--run <runId>", "only the records of one run")
    .action(async (options: { run?: string }, command: Command) => {
      await withStore(globalOptions(command), async (store) => {
        for await (const row of readAuditRows(store.db, { runId: options.run })) {
          // Waits for a slow reader (a pipe) instead of buffering the whole log.
          if (!process.stdout.write(`${JSON.stringify(toAuditRecord(row))}\n`)) await once(process.stdout, "drain");
        }
      });
    });
}
