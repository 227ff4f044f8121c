import { describe, expect, it } from "vitest";
import { verifyCredential } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { auditRecords, operatorFixture, spend } from "./setup.ts";

const dayMs = 86_400_000;

describe.each(await dialects())("operator agents, grants and credentials on %s", (dialect) => {
  const open = operatorFixture(dialect);

  it("lists the inventory with spend; revoke, restore and review change the row and are audited with the principal", async () => {
    const fixture = await open();
    const { runtime, operator, clock } = fixture;
    await (await runtime.start(spend, { calls: 3 })).result();

    expect((await operator.agents.list()).map((row) => [row.name, row.owner, row.risk, row.status, row.spentMicros])).toEqual([
      ["auditor", "risk", "minimal", "active", 0],
      ["clerk", "finance", "high", "active", 30_000],
    ]);
    expect(await operator.agents.revoke("clerk", { reason: "leaked key" })).toMatchObject({ name: "clerk", status: "revoked" });
    expect(await (await runtime.start(spend, { calls: 1 })).result()).toMatchObject({ status: "failed", error: { code: "AGENT_REVOKED" } });
    expect(await operator.agents.restore("clerk")).toMatchObject({ status: "active" });

    clock.now += 5 * dayMs;
    const reviewed = await operator.agents.review("clerk", { note: "quarterly" });
    expect(reviewed).toMatchObject({ lastReviewedAt: clock.now, reviewDueAt: clock.now + 30 * dayMs, reviewOverdue: false });
    expect(await operator.agents.get("clerk")).toEqual(reviewed);

    const records = await auditRecords(operator, ["agent.revoked", "agent.restored", "agent.reviewed"]);
    expect(records.map((record) => [record.kind, record.agent, record.principal, record.data])).toEqual([
      ["agent.revoked", "clerk", "alice", { reason: "leaked key" }],
      ["agent.restored", "clerk", "alice", { reason: null }],
      ["agent.reviewed", "clerk", "alice", { note: "quarterly" }],
    ]);
  });

  it("an unknown agent is UNKNOWN_AGENT listing the known names, for every operation that names one", async () => {
    const fixture = await open();
    const { agents, grants, credentials } = fixture.operator;
    const operations = [
      () => agents.get("nobody"),
      () => agents.revoke("nobody"),
      () => agents.restore("nobody"),
      () => agents.review("nobody"),
      () => grants.list("nobody"),
      () => grants.add("nobody", { scope: "tool:x" }),
      () => grants.revoke("nobody", "g"),
      () => credentials.create("nobody"),
      () => credentials.rotate("nobody"),
      () => credentials.revoke("nobody"),
      () => credentials.list("nobody"),
    ];
    for (const operation of operations) {
      await expect(operation()).rejects.toMatchObject({ code: "UNKNOWN_AGENT", name: "UnknownAgentError", details: { agent: "nobody", known: ["auditor", "clerk"] } });
    }
  });

  it("grants: lists declared ones, adds and revokes standing ones (audited), refuses a bad grant or a grant id the agent does not hold", async () => {
    const fixture = await open();
    const { operator, clock } = fixture;
    expect(await operator.grants.list("clerk")).toEqual([expect.objectContaining({ agent: "clerk", scope: "tool:lookup", resource: "*", kind: "declared", revokedAt: null })]);

    const added = await operator.grants.add("auditor", { scope: "fs:read", resource: "reports/*", expiresAt: clock.now + dayMs, maxUses: 3 });
    expect(added).toMatchObject({ agent: "auditor", scope: "fs:read", resource: "reports/*", kind: "manual", expiresAt: clock.now + dayMs, maxUses: 3, uses: 0, createdAt: clock.now, revokedAt: null });
    expect(await operator.grants.list("auditor")).toEqual([added]);

    await expect(operator.grants.revoke("clerk", added.id)).rejects.toMatchObject({ code: "INVALID_INPUT", details: { agent: "clerk", grantId: added.id } });
    clock.now += 1000;
    expect(await operator.grants.revoke("auditor", added.id)).toEqual({ ...added, revokedAt: clock.now });
    await expect(operator.grants.revoke("auditor", added.id)).rejects.toMatchObject({ code: "INVALID_INPUT" });

    for (const bad of [{ scope: " " }, { scope: "fs:read", maxUses: 0 }, { scope: "fs:read", maxUses: 1.5 }, { scope: "fs:read", expiresAt: Number.NaN }]) {
      await expect(operator.grants.add("auditor", bad)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
    const records = await auditRecords(operator, ["grant.issued", "grant.revoked"]);
    expect(records.filter((record) => record.principal === "alice").map((record) => [record.kind, record.data.grant])).toEqual([
      ["grant.issued", added.id],
      ["grant.revoked", added.id],
    ]);
  });

  it("credentials: the secret is returned once and verifies; rotate revokes the old one; revoke counts; list never shows a secret", async () => {
    const fixture = await open();
    const { runtime, operator, clock } = fixture;
    const verify = (secret: string) => runtime.store.transaction((tx) => verifyCredential(tx, { secret, now: clock.now }));

    const first = await operator.credentials.create("clerk");
    expect(first).toEqual({ id: expect.any(String), agent: "clerk", secret: expect.stringMatching(/^cadre_[0-9a-f]{8}_/), prefix: first.secret.slice(6, 14) });
    expect(await verify(first.secret)).toBe("clerk");

    clock.now += 1000;
    const second = await operator.credentials.rotate("clerk");
    expect(await verify(first.secret)).toBeNull();
    expect(await verify(second.secret)).toBe("clerk");

    const listed = await operator.credentials.list("clerk");
    expect(listed).toEqual([
      { id: first.id, agent: "clerk", prefix: first.prefix, createdAt: clock.now - 1000, revokedAt: clock.now, lastUsedAt: expect.any(Number) },
      { id: second.id, agent: "clerk", prefix: second.prefix, createdAt: clock.now, revokedAt: null, lastUsedAt: expect.any(Number) },
    ]);
    expect(JSON.stringify(listed)).not.toContain(second.secret.slice(15));

    expect(await operator.credentials.revoke("clerk")).toEqual({ agent: "clerk", revoked: 1 });
    expect(await operator.credentials.revoke("clerk")).toEqual({ agent: "clerk", revoked: 0 });
    expect(await verify(second.secret)).toBeNull();
    expect((await auditRecords(operator, ["credential.created", "credential.rotated", "credential.revoked"])).map((record) => [record.kind, record.principal])).toEqual([
      ["credential.created", "alice"],
      ["credential.rotated", "alice"],
      ["credential.revoked", "alice"],
      ["credential.revoked", "alice"],
    ]);
  });
});
