import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import type { GrantRecord } from "../../governance/grants.ts";
import { globalOptions, withExistingOperator, withReadOnlyOperator } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";

/** `cadre keys` and `cadre grants`: who an agent is, and what it may do. */
export function registerAccessCommands(program: Command): void {
  const keys = program.command("keys").description("agent credentials: random secrets shown once, stored as hashes");
  for (const [name, rotate] of [["create", false], ["rotate", true]] as const) {
    keys
      .command(`${name} <agent>`)
      .description(rotate ? "issue a new secret and revoke the old ones" : "issue a secret for the agent")
      .action(async (agent: string, _options: unknown, command: Command) => {
        const global = globalOptions(command);
        const issued = await withExistingOperator(global, (operator) => (rotate ? operator.credentials.rotate(agent) : operator.credentials.create(agent)));
        if (global.json) return printJson(issued);
        process.stdout.write(`${issued.secret}\n`);
        process.stderr.write(`${style.yellow("Store this secret now: it is shown only once.")} credential ${issued.id} for ${agent}\n`);
      });
  }
  keys
    .command("revoke <agent>")
    .description("revoke every secret of the agent")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const revoked = await withExistingOperator(global, (operator) => operator.credentials.revoke(agent));
      if (global.json) return printJson(revoked);
      process.stdout.write(`revoked ${revoked.revoked} credential(s) of ${agent}\n`);
    });
  keys
    .command("list <agent>")
    .description("list the agent's credentials (never the secrets)")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const credentials = await withReadOnlyOperator(global, (operator) => operator.credentials.list(agent));
      // The --json rows keep the column names `keys list` has always printed.
      if (global.json) return printJson(credentials.map((key) => ({ id: key.id, agent: key.agent, prefix: key.prefix, created_at: key.createdAt, revoked_at: key.revokedAt, last_used_at: key.lastUsedAt })));
      process.stdout.write(`${renderTable(["ID", "PREFIX", "CREATED", "REVOKED", "LAST USED"], credentials.map((key) => [key.id, key.prefix, formatTime(key.createdAt), formatTime(key.revokedAt), formatTime(key.lastUsedAt)]))}\n`);
    });

  program
    .command("grants <agent>")
    .description("list the agent's grants; --add or --revoke to change them")
    .option("--add <scope>", "grant a scope (e.g. tool:credit-bureau, fs:write)")
    .option("--resource <pattern>", "with --add: resource pattern, * matches anything", "*")
    .option("--expires <iso-date>", "with --add: expiry")
    .option("--max-uses <n>", "with --add: how many calls it covers")
    .option("--revoke <grantId>", "revoke a grant")
    .action(async (agent: string, options: { add?: string; resource: string; expires?: string; maxUses?: string; revoke?: string }, command: Command) => {
      const global = globalOptions(command);
      // Listing only reads: it works on a read-only store and never creates one.
      const open = options.add || options.revoke ? withExistingOperator : withReadOnlyOperator;
      const grants = await open(global, async (operator) => {
        if (options.add) await operator.grants.add(agent, { scope: options.add, resource: options.resource, expiresAt: parseExpiry(options.expires), maxUses: parseMaxUses(options.maxUses) });
        if (options.revoke) await operator.grants.revoke(agent, options.revoke);
        return operator.grants.list(agent);
      });
      if (global.json) return printJson(grants);
      process.stdout.write(`${renderTable(["ID", "SCOPE", "RESOURCE", "KIND", "USES", "EXPIRES", "STATE"], grants.map((grant) => grantRow(grant, Date.now())))}\n`);
    });
}

function parseExpiry(text: string | undefined): number | undefined {
  const expiresAt = text ? Date.parse(text) : undefined;
  if (expiresAt !== undefined && Number.isNaN(expiresAt)) throw new InputValidationError({ message: `--expires "${text}" is not a date; use ISO 8601 like 2026-12-31T00:00:00Z.` });
  return expiresAt;
}

function parseMaxUses(text: string | undefined): number | undefined {
  const maxUses = text ? Number(text) : undefined;
  if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1)) throw new InputValidationError({ message: `--max-uses must be a positive integer, got "${text}".` });
  return maxUses;
}

function grantRow(grant: GrantRecord, now: number): string[] {
  const state = grant.revokedAt ? "revoked" : grant.expiresAt !== null && grant.expiresAt < now ? "expired" : grant.maxUses !== null && grant.uses >= grant.maxUses ? "used up" : style.green("live");
  return [grant.id, grant.scope, grant.resource, grant.kind === "jit" ? `jit ${grant.runId ?? ""}` : grant.kind, grant.maxUses === null ? "unlimited" : `${grant.uses}/${grant.maxUses}`, formatTime(grant.expiresAt), state];
}
