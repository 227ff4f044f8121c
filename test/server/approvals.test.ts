import { describe, expect, it } from "vitest";
import { decisionResponse, pendingApproval } from "../../src/server/schemas.ts";
import { dialects } from "../helpers/stores.ts";
import { serverFixture } from "./fixture.ts";
import { openEventStream } from "./sse-client.ts";

describe.each(await dialects())("approvals over HTTP (%s)", (dialect) => {
  const open = serverFixture(dialect);

  it("a run started over the API parks for an approval (the stream says what it waits for); approving it over the API completes the run", async () => {
    const { api, server, keys } = await open();
    const { body } = await api("/api/runs", { body: { workflow: "payout", input: { amount: 40 } }, as: "operator" });
    const stream = await openEventStream(`${server.url}/api/runs/${body.runId}/events`, { key: keys.viewer });
    const parked = await stream.collect((message) => message.event === "wait");
    expect(parked.map((message) => message.event)).toContain("run-end");
    expect(parked.at(-1)!.data).toMatchObject({ type: "wait", runId: body.runId, data: { kind: "approval", name: "payout", request: { amount: 40 } } });

    const pending = await api("/api/approvals", { as: "viewer" });
    expect(pending.body.items).toEqual([expect.objectContaining({ runId: body.runId, name: "payout", request: { amount: 40 } })]);
    pendingApproval.parse(pending.body.items[0]);

    const approved = await api(`/api/approvals/${body.runId}/payout/approve`, { body: { note: "within limits" }, as: "approver" });
    expect(approved.status).toBe(200);
    decisionResponse.parse(approved.body);
    expect(approved.body).toMatchObject({ decision: { approved: true, by: "approver", note: "within limits" }, resume: { runId: body.runId, resumed: true } });
    // The same stream follows the resumed run to its end.
    const rest = await stream.collect();
    expect(rest.map((message) => message.event)).toContain("approval-decided");
    expect(rest.at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "completed", output: "paid 40, approved by approver" } } });
    const audit = await api(`/api/audit?runId=${body.runId}&kind=approval.*`, { as: "viewer" });
    expect(audit.body.items).toEqual([expect.objectContaining({ kind: "approval.granted", principal: "approver" })]);
    // Decided once: a second decision is a conflict.
    expect(await api(`/api/approvals/${body.runId}/payout/reject`, { body: {}, as: "approver" })).toMatchObject({ status: 409, body: { error: { code: "APPROVAL_DECIDED" } } });
  });

  it("a run's stream carries its child runs too: a child's approval is approved over the API and the parent completes", async () => {
    const { api, server, keys } = await open();
    const { body } = await api("/api/runs", { body: { workflow: "batch", input: {} }, as: "operator" });
    const stream = await openEventStream(`${server.url}/api/runs/${body.runId}/events`, { key: keys.viewer });
    const parked = await stream.collect((message) => message.event === "wait" && message.data.runId === body.runId);
    const childStart = parked.find((message) => message.event === "run-start" && message.data.runId !== body.runId)!;
    expect(childStart.data.data).toMatchObject({ workflow: "payout", parentRunId: body.runId });
    const childId = childStart.data.runId as string;
    expect(parked.some((message) => message.event === "step-start" && message.data.runId === childId && message.data.data.name === "clerk")).toBe(true);
    expect(parked.at(-1)!.data.data).toMatchObject({ kind: "approval", runId: childId, name: "payout" });

    expect((await api(`/api/approvals/${childId}/payout/approve`, { body: {}, as: "approver" })).body.resume).toEqual({ runId: body.runId, workflow: "batch", resumed: true });
    const rest = await stream.collect();
    expect(rest.some((message) => message.event === "run-end" && message.data.runId === childId && message.data.data.status === "completed")).toBe(true);
    expect(rest.at(-1)).toMatchObject({ event: "run-end", data: { runId: body.runId, data: { status: "completed", output: "paid 7, approved by approver" } } });
  });

  it("a rejection resumes the run, which fails with APPROVAL_REJECTED; an unknown approval is a 404", async () => {
    const { api, runtime, server, keys } = await open();
    const handle = await runtime.start("payout", { amount: 5 });
    expect((await handle.result()).status).toBe("waiting");
    expect(await api(`/api/approvals/${handle.runId}/nothing/approve`, { body: {}, as: "approver" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_RUN" } } });
    const rejected = await api(`/api/approvals/${handle.runId}/payout/reject`, { body: { note: "no" }, as: "approver" });
    expect(rejected.body).toMatchObject({ decision: { approved: false, by: "approver" }, resume: { resumed: true } });
    // The run's stream replays what this server kept of it, through its final end.
    const stream = await openEventStream(`${server.url}/api/runs/${handle.runId}/events`, { key: keys.viewer });
    expect((await stream.collect()).at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "failed", error: { code: "APPROVAL_REJECTED" } } } });
  });
});
