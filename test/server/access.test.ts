import { describe, expect, it } from "vitest";
import { errorResponse } from "../../src/server/schemas.ts";
import { dialects } from "../helpers/stores.ts";
import { serverFixture } from "./fixture.ts";

describe.each(await dialects())("keys, roles and errors over HTTP (%s)", (dialect) => {
  const open = serverFixture(dialect);

  it("401 without a key or with an unknown or revoked one; the cookie works like the header (writes only as JSON); /api/me names the caller", async () => {
    const { api, server, keys, operator } = await open();
    expect(await api("/api/runs", { as: null })).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED" } } });
    expect(await api("/api/runs", { key: "cadre_op_00000000_guess" })).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED" } } });
    expect(await api("/api/runs", { as: null, headers: { authorization: "Basic abc" } })).toMatchObject({ status: 401 });
    expect((await api("/api/me", { as: "approver" })).body).toEqual({ name: "approver", role: "approver" });
    const cookie = await fetch(`${server.url}/api/me`, { headers: { cookie: `cadre_operator_key=${keys.viewer}` } });
    expect(await cookie.json()).toEqual({ name: "viewer", role: "viewer" });
    // A write by cookie must be JSON: a cross-site form post (text/plain) carrying the cookie is refused.
    const review = (contentType: string) => fetch(`${server.url}/api/agents/auditor/review`, { method: "POST", headers: { cookie: `cadre_operator_key=${keys.operator}`, "content-type": contentType }, body: '{"note":"x"}' });
    const forged = await review("text/plain");
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: "FORBIDDEN", details: { reason: "cookie-write-without-json" } } });
    expect((await api("/api/audit?kind=agent.reviewed", { as: "viewer" })).body.items).toEqual([]);
    expect((await review("application/json")).status).toBe(200);
    await operator.keys.revoke({ operator: "viewer" });
    expect(await api("/api/me", { as: "viewer" })).toMatchObject({ status: 401 });
  });

  it("roles: a viewer reads but gets 403 on approve and on starting runs; an approver cannot revoke agents; an admin can", async () => {
    const { api, runtime } = await open();
    const handle = await runtime.start("payout", { amount: 1 });
    await handle.result();
    expect((await api("/api/approvals", { as: "viewer" })).status).toBe(200);
    const denied = await api(`/api/approvals/${handle.runId}/payout/approve`, { body: {}, as: "viewer" });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN", details: { role: "viewer", needed: "approver" } } } });
    errorResponse.parse(denied.body);
    // The refusal decided nothing: the approval still waits.
    expect((await api("/api/approvals", { as: "viewer" })).body.items).toHaveLength(1);
    expect(await api("/api/runs", { body: { workflow: "spend", input: { calls: 0 } }, as: "viewer" })).toMatchObject({ status: 403 });
    expect(await api("/api/runs", { body: { workflow: "spend", input: { calls: 0 } }, as: "approver" })).toMatchObject({ status: 403 });
    expect(await api("/api/agents/clerk/revoke", { body: {}, as: "approver" })).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN", details: { needed: "admin" } } } });
    expect(await api("/api/agents/clerk/revoke", { body: {}, as: "operator" })).toMatchObject({ status: 403 });
    expect((await api("/api/agents/clerk", { as: "viewer" })).body.status).toBe("active");
    const revoked = await api("/api/agents/clerk/revoke", { body: { reason: "leaked key" }, as: "admin" });
    expect(revoked).toMatchObject({ status: 200, body: { name: "clerk", status: "revoked" } });
    expect((await api("/api/audit?kind=agent.revoked", { as: "viewer" })).body.items).toEqual([expect.objectContaining({ agent: "clerk", principal: "admin", data: { reason: "leaked key" } })]);
    expect((await api("/api/agents/clerk/restore", { body: {}, as: "admin" })).body.status).toBe("active");
    expect(await api("/api/keys", { as: "operator" })).toMatchObject({ status: 403 });
  });

  it("errors carry their code, and the status follows from it: 400, 404, 413, 422, unknown routes", async () => {
    const { api } = await open({ maxBodyBytes: 2048 });
    expect(await api("/api/runs", { body: { input: {} }, as: "operator" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT", details: { where: "body", issues: [{ path: "body.workflow" }] } } } });
    expect(await api("/api/runs", { body: "{not json", as: "operator" })).toMatchObject({ status: 400, body: { error: { code: "MALFORMED_REQUEST", details: { where: "body" } } } });
    expect(await api("/api/runs", { body: { workflow: "spend", input: { calls: "many" } }, as: "operator" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT" } } });
    expect(await api("/api/runs", { body: { workflow: "nope" }, as: "operator" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_WORKFLOW", details: { known: ["spend", "payout", "batch", "stuck", "large"] } } } });
    expect(await api("/api/runs/run_missing", { as: "viewer" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_RUN" } } });
    expect(await api("/api/agents/ghost", { as: "viewer" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_AGENT" } } });
    expect(await api("/api/nothing-here", { as: "viewer" })).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    expect(await api("/api/runs?limit=5000", { as: "viewer" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT" } } });
    const tooLarge = await api("/api/runs", { body: { workflow: "spend", input: { calls: 1, padding: "x".repeat(4096) } }, as: "operator" });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE", details: { maxBytes: 2048 } } } });
    expect(await api("/api/budgets/fund", { body: { amountMicros: 5, runId: "run_missing" }, as: "operator" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_RUN" } } });
  });

  it("429 once an address failed to authenticate too often, until the window passes (on an injected clock)", async () => {
    const clock = { now: Date.UTC(2026, 5, 1) };
    const { api } = await open({ authFailures: { limit: 3, windowMs: 60_000 }, now: () => clock.now });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await api("/api/me", { key: `cadre_op_0000000${attempt}_guess` })).status).toBe(401);
    const limited = await api("/api/me", { as: "admin" });
    expect(limited).toMatchObject({ status: 429, body: { error: { code: "RATE_LIMITED" } } });
    expect(limited.headers.get("retry-after")).toBe("60");
    clock.now += 60_001;
    expect(await api("/api/me", { as: "admin" })).toMatchObject({ status: 200, body: { name: "admin" } });
  });

  it("the playground (dev mode) needs no key and acts as the admin `local`, audited as such", async () => {
    const { api } = await open({ auth: { mode: "dev" } });
    expect((await api("/api/me", { as: null })).body).toEqual({ name: "local", role: "admin" });
    expect((await api("/api/agents/auditor/review", { body: { note: "fine" }, as: null })).status).toBe(200);
    expect((await api("/api/audit?kind=agent.reviewed", { as: null })).body.items).toEqual([expect.objectContaining({ agent: "auditor", principal: "local" })]);
  });

  it("operator keys over the API: an admin issues one (secret once, never in the log), it works, lists without its secret, and is revoked", async () => {
    const lines: string[] = [];
    const { api } = await open({ log: (line) => lines.push(line) });
    const issued = await api("/api/keys", { body: { operator: "carol", role: "approver" }, as: "admin" });
    expect(issued).toMatchObject({ status: 201, body: { operator: "carol", role: "approver", secret: expect.stringMatching(/^cadre_op_[0-9a-f]{8}_/) } });
    expect((await api("/api/me", { key: issued.body.secret })).body).toEqual({ name: "carol", role: "approver" });
    const listed = await api("/api/keys", { as: "admin" });
    expect(JSON.stringify(listed.body)).not.toContain(issued.body.secret);
    expect(listed.body.items.find((key: { id: string }) => key.id === issued.body.id)).toMatchObject({ operator: "carol", createdBy: "admin", lastUsedAt: expect.any(Number) });
    expect(await api(`/api/keys/${issued.body.id}`, { method: "DELETE", as: "admin" })).toMatchObject({ status: 200, body: { revoked: [issued.body.id] } });
    expect((await api("/api/me", { key: issued.body.secret })).status).toBe(401);
    expect((await api("/api/audit?kind=operator-key.*", { as: "viewer" })).body.items.map((record: { kind: string }) => record.kind)).toEqual(["operator-key.revoked", "operator-key.created", "operator-key.created", "operator-key.created", "operator-key.created", "operator-key.created"]);
    expect(await api("/api/keys", { body: { operator: "dave", role: "superuser" }, as: "admin" })).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT" } } });
    // The log has a line per request and no secret, neither the keys sent nor the one issued.
    expect(lines.some((line) => line.startsWith("POST /api/keys 201 admin"))).toBe(true);
    expect(lines.join("\n")).not.toMatch(/cadre_op_/);
  });
});
