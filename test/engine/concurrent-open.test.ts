import { afterEach, describe, expect, it } from "vitest";
import { openStore, verifyAuditChain, type Store } from "../../src/index.ts";
import { agents, allocations } from "../fixtures/concurrent-open/definitions.ts";
import { openTogether } from "../fixtures/concurrent-open/open-together.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const processes = 8;

async function auditKinds(store: Store, kind: string): Promise<Array<{ agent: string | null; workflow: string | null }>> {
  return store.db.selectFrom("audit_log").select(["agent", "workflow"]).where("kind", "=", kind).execute();
}

describe.each(await dialects())("eight processes opening one %s store at once", (dialect) => {
  let location: TestStoreLocation | undefined;
  afterEach(async () => {
    await location?.cleanup();
    location = undefined;
  });

  for (const state of ["fresh", "migrated"] as const) {
    it(`registers each agent, its declared grants and each workflow's first allocation exactly once on a ${state} store`, async () => {
      location = await freshStoreLocation(dialect);
      if (state === "migrated") await (await openStore(location.location)).close();

      const exits = await openTogether(location.location, { count: processes });
      expect(exits.filter((exit) => exit.code !== 0)).toEqual([]);

      const store = await openStore(location.location);
      try {
        const rows = await store.db.selectFrom("agents").select(["name", "version"]).orderBy("name").execute();
        expect(rows).toEqual(agents.map((agent) => ({ name: agent.name, version: 1 })));
        expect((await auditKinds(store, "agent.registered")).map((record) => record.agent).sort()).toEqual(agents.map((agent) => agent.name));

        const grants = await store.db.selectFrom("grants").select(["agent", "scope", "resource"]).where("kind", "=", "declared").where("revoked_at", "is", null).orderBy("agent").orderBy("scope").execute();
        expect(grants).toEqual(agents.flatMap((agent) => agent.grants!.map((grant) => ({ agent: agent.name, scope: grant.scope, resource: grant.resource ?? "*" }))));
        expect(await auditKinds(store, "grant.issued")).toHaveLength(grants.length);

        expect((await auditKinds(store, "budget.allocated")).map((record) => record.workflow).sort()).toEqual(Object.keys(allocations).sort());
        const deposits = await store.db.selectFrom("ledger_entries").select("amount").where("kind", "=", "fund").execute();
        const total = Object.values(allocations).reduce((sum, amount) => sum + amount, 0);
        expect(deposits.reduce((sum, row) => sum + Number(row.amount), 0)).toBe(total);
        for (const [workflow, allocation] of Object.entries(allocations)) {
          const account = await store.db.selectFrom("accounts").select("balance").where("id", "=", `workflow:${workflow}`).executeTakeFirstOrThrow();
          expect(Number(account.balance)).toBe(allocation);
        }

        expect(await verifyAuditChain(store.db)).toMatchObject({ ok: true });
      } finally {
        await store.close();
      }
    });
  }
});
