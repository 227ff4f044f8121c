import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, listInventory, recordReview, setAgentStatus, type Agent } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds } from "./fixtures.ts";

const dayMs = 86_400_000;

function analyst(overrides: Partial<Agent> = {}): Agent {
  return defineAgent({
    name: "analyst",
    owner: "risk-team",
    purpose: "scores applications",
    dataAccess: "confidential",
    risk: "high",
    reviewEveryDays: 30,
    grants: [{ scope: "tool:bureau" }],
    input: z.object({}),
    output: z.any(),
    run: () => 1,
    ...overrides,
  } as Agent);
}

describe.each(await dialects())("the agent inventory on %s", (dialect) => {
  let location: TestStoreLocation;
  afterEach(async () => location?.cleanup());
  const openWith = (agents: Agent[], now = Date.now()) => Runtime.open({ store: location.location, agents, principal: "platform-team", now: () => now });

  it("a changed definition gets a new version; status and reviews survive it", async () => {
    location = await freshStoreLocation(dialect);
    const first = await openWith([analyst()]);
    await setAgentStatus({ store: first.store, principal: "ops" }, { agent: "analyst", status: "revoked", reason: "pending audit" });
    await recordReview({ store: first.store, principal: "ops" }, { agent: "analyst" });
    await first.close();
    await (await openWith([analyst()])).close();
    const changed = await openWith([analyst({ purpose: "scores applications and explains the score" })]);
    try {
      const row = await changed.store.db.selectFrom("agents").selectAll().where("name", "=", "analyst").executeTakeFirstOrThrow();
      expect(row).toMatchObject({ version: 2, purpose: "scores applications and explains the score", status: "revoked", status_reason: "pending audit" });
      expect(row.last_reviewed_at).not.toBeNull();
    } finally {
      await changed.close();
    }
  });

  it("registrations, new versions and declared grant changes are audited with the principal; an unchanged definition writes nothing", async () => {
    location = await freshStoreLocation(dialect);
    await (await openWith([analyst()])).close();
    await (await openWith([analyst()])).close();
    const runtime = await openWith([analyst({ grants: [{ scope: "tool:bureau", resource: "eu/*" }] })]);
    try {
      const records = await auditKinds(runtime.store);
      expect(records.map((record) => record.kind)).toEqual(["agent.registered", "grant.issued", "agent.updated", "grant.issued", "grant.revoked"]);
      expect(records[0]).toMatchObject({ agent: "analyst", data: { version: 1, owner: "risk-team", risk: "high", dataAccess: "confidential" } });
      expect(records[2]).toMatchObject({ data: { version: 2 } });
      expect(records[2]!.data.definitionHash).not.toBe(records[0]!.data.definitionHash);
      expect(records[3]).toMatchObject({ data: { scope: "tool:bureau", resource: "eu/*", declared: true } });
      expect(records[4]!.data.grant).toBe(records[1]!.data.grant);
      const principals = await runtime.store.db.selectFrom("audit_log").select("principal").distinct().execute();
      expect(principals).toEqual([{ principal: "platform-team" }]);
      const live = await runtime.store.db.selectFrom("grants").select(["scope", "resource"]).where("agent", "=", "analyst").where("revoked_at", "is", null).execute();
      expect(live).toEqual([{ scope: "tool:bureau", resource: "eu/*" }]);
    } finally {
      await runtime.close();
    }
  });

  it("lists when each review falls due and which are overdue", async () => {
    location = await freshStoreLocation(dialect);
    const registeredAt = Date.parse("2026-01-01T00:00:00Z");
    const runtime = await openWith([analyst(), analyst({ name: "helper", risk: "minimal", reviewEveryDays: undefined })], registeredAt);
    try {
      const [onTime, overdue] = [await listInventory(runtime.store.db, registeredAt + 10 * dayMs), await listInventory(runtime.store.db, registeredAt + 31 * dayMs)];
      expect(onTime.find((row) => row.name === "analyst")).toMatchObject({ reviewDueAt: registeredAt + 30 * dayMs, reviewOverdue: false, lastReviewedAt: null });
      expect(overdue.find((row) => row.name === "analyst")).toMatchObject({ reviewOverdue: true });
      expect(overdue.find((row) => row.name === "helper")).toMatchObject({ reviewDueAt: null, reviewOverdue: false });
      await recordReview({ store: runtime.store, principal: "ops", now: registeredAt + 31 * dayMs }, { agent: "analyst" });
      expect((await listInventory(runtime.store.db, registeredAt + 31 * dayMs)).find((row) => row.name === "analyst")).toMatchObject({ reviewDueAt: registeredAt + 61 * dayMs, reviewOverdue: false });
    } finally {
      await runtime.close();
    }
  });
});
