import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import { addGrant, issueCredential, revokeAgentCredentials, revokeGrant } from "../../governance/admin.ts";
import { listCredentials } from "../../governance/credentials.ts";
import { listGrants } from "../../governance/grants.ts";
import { globalOptions, withExistingStore, withReadOnlyStore } from "../cli-context.ts";
import { printJson, style } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";
import { principal, requireKnownAgent } from "./agents.ts";

/** `cadre keys` and `cadre grants`: who an agent is, and what it may do. */
export function registerAccessCommands(program: Command): void {
  const keys = program.command("keys").description("agent credentials: random secrets shown once, stored as hashes");
  for (const [name, rotate] of [["create", false], ["rotate", true]] as const) {
    keys
      .command(`${name} <agent>`)
      .description(rotate ? "issue a new secret and revoke the old ones" : "issue a secret for the agent")
      .action(async (agent: string, _options: unknown, command: Command) => {
        const global = globalOptions(command);
        const issued = await withExistingStore(global, async (store) => {
          await requireKnownAgent(store, agent);
          return issueCredential({ store, principal: principal() }, { agent, rotate });
        });
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
      const count = await withExistingStore(global, async (store) => {
        await requireKnownAgent(store, agent);
        return revokeAgentCredentials({ store, principal: principal() }, { agent });
      });
      if (global.json) return printJson({ agent, revoked: count });
      process.stdout.write(`revoked ${count} credential(s) of ${agent}\n`);
    });
  keys
    .command("list <agent>")
    .description("list the agent's credentials (never the secrets)")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const rows = await withReadOnlyStore(global, async (store) => {
        await requireKnownAgent(store, agent);
        return listCredentials(store.db, agent);
      });
      if (global.json) return printJson(rows);
      process.stdout.write(`${renderTable(["ID", "PREFIX", "CREATED", "REVOKED", "LAST USED"], rows.map((row) => [row.id, row.prefix, formatTime(Number(row.created_at)), formatTime(Number(row.revoked_at)), formatTime(Number(row.last_used_at))]))}\n`);
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
      const open = options.add || options.revoke ? withExistingStore : withReadOnlyStore;
      await open(global, async (store) => {
        await requireKnownAgent(store, agent);
        const context = { store, principal: principal() };
        if (options.add) {
          const expiresAt = options.expires ? Date.parse(options.expires) : undefined;
          if (expiresAt !== undefined && Number.isNaN(expiresAt)) throw new InputValidationError(`--expires "${options.expires}" is not a date; use ISO 8601 like 2026-12-31T00:00:00Z.`);
          const maxUses = options.maxUses ? Number(options.maxUses) : undefined;
          if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1)) throw new InputValidationError(`--max-uses must be a positive integer, got "${options.maxUses}".`);
          await addGrant(context, { agent, grant: { scope: options.add, resource: options.resource, expiresAt, maxUses } });
        }
        if (options.revoke && !(await revokeGrant(context, { grantId: options.revoke }))) {
          throw new InputValidationError(`No live grant with id ${options.revoke}. List them with \`cadre grants ${agent}\`.`);
        }
        const grants = await listGrants(store.db, agent);
        if (global.json) return printJson(grants);
        const now = Date.now();
        process.stdout.write(
          `${renderTable(
            ["ID", "SCOPE", "RESOURCE", "KIND", "USES", "EXPIRES", "STATE"],
            grants.map((grant) => [
              grant.id,
              grant.scope,
              grant.resource,
              grant.kind === "jit" ? `jit ${grant.runId ?? ""}` : grant.kind,
              grant.maxUses === null ? "unlimited" : `${grant.uses}/${grant.maxUses}`,
              formatTime(grant.expiresAt),
              grant.revokedAt ? "revoked" : grant.expiresAt !== null && grant.expiresAt < now ? "expired" : grant.maxUses !== null && grant.uses >= grant.maxUses ? "used up" : style.green("live"),
            ]),
          )}\n`,
        );
      });
    });
}
