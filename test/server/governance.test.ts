import { describe, expect, it } from "vitest";
import { z } from "zod";
import { auditRecord, auditReport, credentialRecord, fundResponse, grantRecord, inventoryRow, issuedCredential, pageOf, spendRow } from "../../src/server/schemas.ts";
import { openOperator } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { serverFixture } from "./fixture.ts";

describe.each(await dialects())("agents, grants, credentials, money and audit over HTTP (%s)", (dialect) => {
  const open = serverFixture(dialect);

  it("lists the inventory; grants are added and revoked by an operator, audited with the operator as principal", async () => {
    const { api } = await open();
    const agents = await api("/api/agents", { as: "viewer" });
    z.object({ items: z.array(inventoryRow) }).parse(agents.body);
    expect(agents.body.items.map((agent: { name: string }) => agent.name).sort()).toEqual(["auditor", "clerk", "staller"]);
    expect(await api("/api/agents/auditor/grants", { body: { scope: "tool:lookup" }, as: "approver" })).toMatchObject({ status: 403 });
    const added = await api("/api/agents/auditor/grants", { body: { scope: "tool:lookup", resource: "ledger-*", maxUses: 3 }, as: "operator" });
    expect(added).toMatchObject({ status: 201, body: { agent: "auditor", scope: "tool:lookup", resource: "ledger-*", kind: "manual", maxUses: 3 } });
    grantRecord.parse(added.body);
    const revoked = await api(`/api/agents/auditor/grants/${added.body.id}`, { method: "DELETE", as: "operator" });
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    expect(await api(`/api/agents/auditor/grants/${added.body.id}`, { method: "DELETE", as: "operator" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT" } } });
    const audit = await api("/api/audit?kind=grant.*&agent=auditor", { as: "viewer" });
    expect(audit.body.items.map((record: { kind: string; principal: string }) => `${record.kind} ${record.principal}`)).toEqual(["grant.revoked operator", "grant.issued operator"]);
  });

  it("credentials: created and rotated with the secret in that response only, listed without it, revoked", async () => {
    const { api } = await open();
    const created = await api("/api/agents/clerk/credentials", { body: {}, as: "operator" });
    expect(created.status).toBe(201);
    issuedCredential.parse(created.body);
    const rotated = await api("/api/agents/clerk/credentials/rotate", { body: {}, as: "operator" });
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const listed = await api("/api/agents/clerk/credentials", { as: "viewer" });
    z.object({ items: z.array(credentialRecord) }).parse(listed.body);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret.slice(15));
    expect(listed.body.items.map((credential: { revokedAt: number | null }) => credential.revokedAt === null)).toEqual([false, true]);
    expect((await api("/api/agents/clerk/credentials", { method: "DELETE", as: "operator" })).body).toEqual({ agent: "clerk", revoked: 1 });
  });

  it("funds a workflow; spend is grouped by agent, tool, model, run and day", async () => {
    const { api, runtime } = await open();
    const before = await api("/api/budgets", { as: "viewer" });
    const spendAccount = () => before.body.items.find((account: { id: string }) => account.id.includes("spend"));
    expect(spendAccount()).toBeDefined();
    const funded = await api("/api/budgets/fund", { body: { amountMicros: 2_500_000, workflow: "spend", note: "top-up" }, as: "operator" });
    fundResponse.parse(funded.body);
    const after = (await api("/api/budgets", { as: "viewer" })).body.items.find((account: { id: string }) => account.id === spendAccount().id);
    expect(after.balanceMicros - spendAccount().balanceMicros).toBe(2_500_000);
    expect((await api("/api/audit?kind=budget.funded", { as: "viewer" })).body.items[0]).toMatchObject({ principal: "operator", data: { amountMicros: 2_500_000 } });
    expect(await api("/api/budgets/fund", { body: { amountMicros: 0, workflow: "spend" }, as: "operator" })).toMatchObject({ status: 422 });

    const handle = await runtime.start("spend", { calls: 3 });
    await handle.result();
    const byAgent = await api("/api/spend?by=agent", { as: "viewer" });
    z.object({ by: z.string(), items: z.array(spendRow) }).parse(byAgent.body);
    expect(byAgent.body.items).toEqual([expect.objectContaining({ key: "clerk", calls: 3, spentMicros: 30_000 })]);
    expect((await api("/api/spend?by=tool", { as: "viewer" })).body.items).toEqual([expect.objectContaining({ key: "lookup", calls: 3 })]);
    expect((await api(`/api/spend?by=run&runId=${handle.runId}`, { as: "viewer" })).body.items).toEqual([expect.objectContaining({ key: handle.runId, spentMicros: 30_000 })]);
    expect((await api("/api/spend?by=day", { as: "viewer" })).body.items).toEqual([expect.objectContaining({ key: new Date().toISOString().slice(0, 10) })]);
    expect((await api("/api/spend?by=model", { as: "viewer" })).body.items).toEqual([]);
    expect(await api("/api/spend?by=planet", { as: "viewer" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT", details: { issues: [{ path: "query.by" }] } } } });
  });

  it("audit: pages newest first with filters, verifies the chain, and exports every record as NDJSON in chain order", async () => {
    const { api, server, keys, runtime } = await open();
    for (let index = 0; index < 3; index += 1) await (await runtime.start("spend", { calls: 1 })).result();
    const first = await api("/api/audit?limit=4", { as: "viewer" });
    pageOf(auditRecord).parse(first.body);
    const second = await api(`/api/audit?limit=4&cursor=${first.body.nextCursor}`, { as: "viewer" });
    const seqs = [...first.body.items, ...second.body.items].map((record: { seq: number }) => record.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(8);
    const starts = await api("/api/audit?kind=run.start", { as: "viewer" });
    expect(starts.body.items).toHaveLength(3);
    expect(await api("/api/audit?cursor=!!", { as: "viewer" })).toMatchObject({ status: 422 });

    const verified = await api("/api/audit/verify", { body: {}, as: "viewer" });
    auditReport.parse(verified.body);
    expect(verified.body).toMatchObject({ ok: true, problemCount: 0 });

    const exported = await fetch(`${server.url}/api/audit/export`, { headers: { authorization: `Bearer ${keys.viewer}` } });
    expect(exported.headers.get("content-type")).toBe("application/x-ndjson");
    const records = (await exported.text()).trim().split("\n").map((line) => auditRecord.parse(JSON.parse(line)));
    expect(records.map((record) => record.seq)).toEqual(records.map((_record, index) => index + 1));
    expect(records.at(-1)!.hash).toBe(verified.body.head);
    // Each record links to the one before it.
    for (let index = 1; index < records.length; index += 1) expect(records[index]!.prevHash).toBe(records[index - 1]!.hash);
  });

  it("audit filters by principal and time range (since inclusive, until exclusive)", async () => {
    const { api, runtime } = await open();
    const day = Date.UTC(2026, 5, 1);
    for (const [hour, name] of [[1, "ann"], [2, "ben"], [3, "ann"]] as const) {
      await openOperator({ store: runtime.store, principal: name, now: () => day + hour * 3_600_000 }).agents.review("auditor", { note: `hour ${hour}` });
    }
    const notes = async (query: string) => (await api(`/api/audit?kind=agent.reviewed&${query}`, { as: "viewer" })).body.items.map((record: { data: { note: string } }) => record.data.note);
    expect(await notes("principal=ann")).toEqual(["hour 3", "hour 1"]);
    expect(await notes(`since=${day + 2 * 3_600_000}`)).toEqual(["hour 3", "hour 2"]);
    expect(await notes(`since=${day + 3_600_000}&until=${day + 3 * 3_600_000}`)).toEqual(["hour 2", "hour 1"]);
    expect(await api("/api/audit?since=yesterday", { as: "viewer" })).toMatchObject({ status: 422, body: { error: { details: { issues: [{ path: "query.since" }] } } } });
  });

  it("serves an OpenAPI 3 document generated from the route schemas, without a key", async () => {
    const { api } = await open();
    const document = await api("/api/openapi.json", { as: null });
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe("3.0.3");
    const paths = Object.keys(document.body.paths);
    for (const path of ["/api/runs", "/api/runs/{id}", "/api/runs/{id}/events", "/api/approvals/{runId}/{approvalId}/approve", "/api/agents/{name}/revoke", "/api/spend", "/api/audit/export", "/api/me", "/api/keys"]) expect(paths).toContain(path);
    const start = document.body.paths["/api/runs"].post;
    expect(start).toMatchObject({ "x-cadre-role": "operator", requestBody: { content: { "application/json": { schema: { required: ["workflow"] } } } }, responses: { "201": expect.any(Object) } });
    expect(document.body.paths["/api/runs"].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(["cursor", "limit", "status", "workflow", "parent"]);
    expect(document.body.paths["/api/runs/{id}/events"].get.responses["200"].content).toHaveProperty("text/event-stream");
  });
});
