import { createHash } from "node:crypto";
import type { Agent } from "../agent/define-agent.ts";
import { lockSection } from "../store/store-lock.ts";
import type { Store } from "../store/store.ts";
import { appendAudit, type AuditEntry } from "./audit-log.ts";
import { syncDeclaredGrants } from "./grants.ts";

/** A stable hash of what an agent is: its metadata and code, so a changed definition gets a new version. */
export function definitionHash(agent: Agent): string {
  const described = describeAgent(agent);
  return createHash("sha256").update(JSON.stringify({ ...described, code: agent.run.toString() })).digest("hex").slice(0, 16);
}

function describeAgent(agent: Agent) {
  return {
    name: agent.name,
    owner: agent.owner,
    purpose: agent.purpose,
    dataAccess: agent.dataAccess ?? "none",
    risk: agent.risk ?? "minimal",
    modelVersion: agent.modelVersion ?? null,
    reviewEveryDays: agent.reviewEveryDays ?? null,
    timeout: agent.timeout ?? null,
    retry: agent.retry ?? null,
    tools: (agent.tools ?? []).map((tool) => ({ name: tool.name, scope: tool.scope, price: typeof tool.price === "function" ? "computed" : (tool.price ?? 0) })),
    grants: agent.grants ?? [],
    budget: agent.budget ?? null,
  };
}

/**
 * Records every agent definition in the store so the CLI can list the inventory without
 * loading user code. A new agent is registered at version 1; a changed definition bumps the
 * version and brings its declared grants in line; status and reviews are kept. Each change
 * is audited, naming the principal the runtime acts for.
 */
export async function upsertInventory(store: Store, options: { agents: Agent[]; now: number; principal: string }): Promise<void> {
  if (options.agents.length === 0) return;
  const { now, principal } = options;
  await store.transaction(async (tx) => {
    // Runtimes opening at once would each find the agent missing and insert it.
    await lockSection(tx, store.dialect, "inventory");
    const records: AuditEntry[] = [];
    for (const agent of options.agents) {
      const hash = definitionHash(agent);
      const described = describeAgent(agent);
      const existing = await tx.selectFrom("agents").select(["definition_hash", "version"]).where("name", "=", agent.name).executeTakeFirst();
      if (existing?.definition_hash === hash) continue;
      const row = {
        definition_hash: hash,
        owner: described.owner,
        purpose: described.purpose,
        data_access: described.dataAccess,
        risk: described.risk,
        model: described.modelVersion,
        review_every_days: described.reviewEveryDays,
        definition: JSON.stringify(described),
        updated_at: now,
      };
      const version = existing ? existing.version + 1 : 1;
      if (existing) {
        await tx.updateTable("agents").set({ ...row, version }).where("name", "=", agent.name).execute();
      } else {
        await tx
          .insertInto("agents")
          .values({ ...row, name: agent.name, version, status: "active", status_reason: null, status_changed_at: null, last_reviewed_at: null, created_at: now })
          .execute();
      }
      const grants = await syncDeclaredGrants(tx, { agent: agent.name, grants: agent.grants ?? [], now });
      const audited = { at: now, agent: agent.name, principal };
      records.push(
        { ...audited, kind: existing ? "agent.updated" : "agent.registered", data: { version, definitionHash: hash, owner: described.owner, risk: described.risk, dataAccess: described.dataAccess } },
        ...grants.issued.map(({ id, ...grant }) => ({ ...audited, kind: "grant.issued", data: { grant: id, ...grant, declared: true } })),
        ...grants.revoked.map((grant) => ({ ...audited, kind: "grant.revoked", data: { grant, declared: true } })),
      );
    }
    await appendAudit(tx, store.dialect, records);
  });
}
