import { existsSync } from "node:fs";
import { once } from "node:events";
import type { Command } from "commander";
import { AuditKeyError, auditKeyEnvironmentVariable, generateAuditKeyPair, loadAuditSigner, loadAuditVerifiers, type AuditSigningOptions } from "../../governance/audit-signing-key.ts";
import type { AuditReport } from "../../governance/audit-verify.ts";
import { globalOptions, withExistingOperator, withReadOnlyOperator, type GlobalOptions } from "../cli-context.ts";
import { loadConfig } from "../config.ts";
import { ExitCode } from "../exit-codes.ts";
import { printJson, style } from "../io.ts";

async function auditSettings(global: GlobalOptions): Promise<AuditSigningOptions> {
  const { config } = await loadConfig(global.config);
  return config.audit ?? {};
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("the hash-chained audit log and its signed checkpoints");

  audit
    .command("verify")
    .description("walk every link of the chain and check every signed checkpoint; exit 1 naming what is wrong")
    .option("--public-key <path>", "PEM public key that verifies checkpoints (repeat for rotated keys; default: audit.publicKey, or derived from the signing key)", collect)
    .option("--checkpoints <file>", "also check the checkpoints of this outside JSON-lines file (default: audit.checkpointFile, when it exists)")
    .action(async (options: { publicKey?: string[]; checkpoints?: string }, command: Command) => {
      const global = globalOptions(command);
      const settings = await auditSettings(global);
      const verifiers = loadAuditVerifiers({ ...settings, publicKeys: options.publicKey });
      const configuredFile = settings.checkpointFile && existsSync(settings.checkpointFile) ? settings.checkpointFile : undefined;
      const report = await withReadOnlyOperator(global, (operator) => operator.audit.verify({ verifiers, checkpointFile: options.checkpoints ?? configuredFile }));
      if (global.json) printJson(report);
      else printReport(report);
      process.exitCode = report.ok ? ExitCode.ok : ExitCode.failed;
    });

  audit
    .command("checkpoint")
    .description("sign the chain's current head with the audit key and store the checkpoint (and append it to audit.checkpointFile)")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const signer = loadAuditSigner(await auditSettings(global));
      if (!signer) throw new AuditKeyError({ message: `No audit signing key is configured: set ${auditKeyEnvironmentVariable} to the path of a PEM private key, or audit.signingKey in cadre.config.ts (create one with \`cadre audit keygen\`).` });
      const outcome = await withExistingOperator(global, (operator) => operator.audit.checkpoint(signer));
      if (global.json) printJson(outcome ? { ...outcome.checkpoint, created: outcome.created, file: outcome.file ?? null } : null);
      else if (!outcome) process.stdout.write("nothing to checkpoint: the audit log is empty\n");
      else {
        const { checkpoint } = outcome;
        const what = outcome.created ? `${style.green("signed")} checkpoint` : "already checkpointed:";
        process.stdout.write(`${what} record ${checkpoint.seq} (hash ${checkpoint.hash.slice(0, 16)}…) with key ${checkpoint.keyId}${outcome.file ? `; appended to ${outcome.file}` : ""}\n`);
      }
    });

  audit
    .command("keygen")
    .description("write a new Ed25519 key pair for signing audit checkpoints (private key mode 0600)")
    .option("--out <dir>", "directory to write cadre-audit.key and cadre-audit.pub into", ".")
    .action((options: { out: string }, command: Command) => {
      const pair = generateAuditKeyPair(options.out);
      if (globalOptions(command).json) return printJson(pair);
      process.stdout.write(
        [
          `wrote ${pair.privateKeyPath} (private, mode 0600) and ${pair.publicKeyPath}; key id ${pair.keyId}`,
          "Keep the private key away from the store, its host and its backups: whoever holds it can sign a rewritten log.",
          `Sign checkpoints at every run end and with \`cadre audit checkpoint\`:  export ${auditKeyEnvironmentVariable}=${pair.privateKeyPath}`,
          `or in cadre.config.ts:  audit: { signingKey: "${pair.privateKeyPath}", publicKey: "${pair.publicKeyPath}", checkpointFile: "/somewhere/else/audit-checkpoints.jsonl" }`,
          `Verify anywhere with only the public key:  cadre audit verify --public-key ${pair.publicKeyPath}`,
          "",
        ].join("\n"),
      );
    });

  audit
    .command("export")
    .description("write every record as JSON lines (hashes included) on stdout")
    .option("--jsonl", "JSON lines (the only format, accepted for clarity)")
    .option("--run <runId>", "only the records of one run")
    .action(async (options: { run?: string }, command: Command) => {
      await withReadOnlyOperator(globalOptions(command), async (operator) => {
        for await (const record of operator.audit.export({ runId: options.run })) {
          // Waits for a slow reader (a pipe) instead of buffering the whole log.
          if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await once(process.stdout, "drain");
        }
      });
    });
}

function printReport(report: AuditReport): void {
  if (!report.ok) {
    process.stdout.write(`${style.red("broken")} at record ${report.brokenAt}: ${report.reason}\n`);
    for (const problem of report.problems.slice(1)) process.stdout.write(`  also: ${problem.reason}\n`);
    if (report.problemCount > report.problems.length) process.stdout.write(`  … and ${report.problemCount - report.problems.length} more problems\n`);
    return;
  }
  const head = report.head ? `, head ${report.head.slice(0, 16)}…` : "";
  process.stdout.write(`${style.green("ok")}: ${report.records} records, chain intact${head}\n`);
  if (report.checkpoints + report.outsideCheckpoints === 0) {
    process.stdout.write(`no signed checkpoints yet: nothing outside the store vouches for the chain (cadre audit keygen, cadre audit checkpoint)\n`);
    return;
  }
  const signatures = report.signaturesChecked ? `signatures valid (key ${report.keyIds.join(", ")})` : style.yellow("signatures NOT checked: no public key (pass --public-key or configure audit.publicKey)");
  const outside = report.outsideCheckpoints > 0 ? ` (+${report.outsideCheckpoints} in the outside file)` : "";
  process.stdout.write(`${report.checkpoints} checkpoints${outside}, latest at record ${report.latestCheckpoint}, ${signatures}; ${report.unanchored} records after it not yet anchored\n`);
}
