import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import type { GrantRecord } from "../../governance/grants.ts";
import { isOperatorRole, operatorRoles } from "../../governance/operator-keys.ts";
import { globalOptions, withExistingOperator, withOperator, withReadOnlyOperator, type GlobalOptions } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";

/** `cadre keys` and `cadre grants`: who an agent is, and what it may do. */
export function registerAccessCommands(program: Command): void {
  const keys = program.command("keys").description("agent credentials, and operator keys for the HTTP API: random secrets shown once, stored as hashes");
  keys
    .command("create [agent]")
    .description("issue a secret for the agent; with --operator and --role, an operator key for `cadre serve`")
    .option("--operator <name>", "issue an operator key acting as <name> (audited as that principal)")
    .option("--role <role>", `with --operator: ${operatorRoles.join(", ")}`)
    .action(async (agent: string | undefined, options: { operator?: string; role?: string }, command: Command) => {
      const global = globalOptions(command);
      if (options.operator !== undefined || options.role !== undefined) return createOperatorKey(global, agent, options);
      const issued = await withExistingOperator(global, (operator) => operator.credentials.create(requireAgentName(agent, "create")));
      printSecret(global.json, issued, `credential ${issued.id} for ${issued.agent}`);
    });
  keys
    .command("rotate <agent>")
    .description("issue a new secret and revoke the old ones")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const issued = await withExistingOperator(global, (operator) => operator.credentials.rotate(agent));
      printSecret(global.json, issued, `credential ${issued.id} for ${agent}`);
    });
  keys
    .command("revoke [agent]")
    .description("revoke every secret of the agent; --operator or --key revoke operator keys")
    .option("--operator <name>", "revoke every live operator key of <name>")
    .option("--key <id>", "revoke one operator key")
    .action(async (agent: string | undefined, options: { operator?: string; key?: string }, command: Command) => {
      const global = globalOptions(command);
      if (options.operator !== undefined || options.key !== undefined) {
        if (agent !== undefined) throw new InputValidationError({ message: "Revoke an agent's credentials or operator keys, not both: drop the agent name or --operator/--key." });
        const revoked = await withExistingOperator(global, (operator) => operator.keys.revoke({ operator: options.operator, keyId: options.key }));
        if (global.json) return printJson(revoked);
        return void process.stdout.write(`revoked ${revoked.revoked.length} operator key(s): ${revoked.revoked.join(", ")}\n`);
      }
      const name = requireAgentName(agent, "revoke");
      const revoked = await withExistingOperator(global, (operator) => operator.credentials.revoke(name));
      if (global.json) return printJson(revoked);
      process.stdout.write(`revoked ${revoked.revoked} credential(s) of ${name}\n`);
    });
  keys
    .command("list [agent]")
    .description("list the agent's credentials, or with --operators the operator keys (never the secrets)")
    .option("--operators", "list operator keys")
    .action(async (agent: string | undefined, options: { operators?: boolean }, command: Command) => {
      const global = globalOptions(command);
      if (options.operators) {
        const listed = await withReadOnlyOperator(global, (operator) => operator.keys.list());
        if (global.json) return printJson(listed);
        return void process.stdout.write(`${renderTable(["ID", "OPERATOR", "ROLE", "PREFIX", "CREATED", "BY", "REVOKED", "LAST USED"], listed.map((key) => [key.id, key.operator, key.role, key.prefix, formatTime(key.createdAt), key.createdBy, formatTime(key.revokedAt), formatTime(key.lastUsedAt)]))}\n`);
      }
      const name = requireAgentName(agent, "list");
      const credentials = await withReadOnlyOperator(global, (operator) => operator.credentials.list(name));
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

async function createOperatorKey(global: GlobalOptions, agent: string | undefined, options: { operator?: string; role?: string }): Promise<void> {
  if (agent !== undefined) throw new InputValidationError({ message: `An operator key belongs to a person or program, not to agent "${agent}": drop the agent name, or drop --operator/--role for an agent credential.` });
  if (options.operator === undefined || options.role === undefined) throw new InputValidationError({ message: `An operator key needs both --operator <name> and --role <${operatorRoles.join("|")}>.`, operator: options.operator ?? null, role: options.role ?? null });
  const { operator: name, role } = options;
  if (!isOperatorRole(role)) throw new InputValidationError({ message: `--role is one of ${operatorRoles.join(", ")}; got "${role}".`, role });
  const issued = await withOperator(global, (operator) => operator.keys.create({ operator: name, role }));
  printSecret(global.json, issued, `operator key ${issued.id} for ${issued.operator} (${issued.role})`);
}

/** The secret on stdout (alone, for scripts), the warning on stderr; or the whole record as JSON. */
function printSecret(json: boolean | undefined, issued: { secret: string }, what: string): void {
  if (json) return printJson(issued);
  process.stdout.write(`${issued.secret}\n`);
  process.stderr.write(`${style.yellow("Store this secret now: it is shown only once.")} ${what}\n`);
}

function requireAgentName(agent: string | undefined, action: string): string {
  if (agent === undefined) throw new InputValidationError({ message: `Name the agent: cadre keys ${action} <agent>${action === "list" ? " (or --operators for operator keys)" : " (or --operator for operator keys)"}.` });
  return agent;
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
