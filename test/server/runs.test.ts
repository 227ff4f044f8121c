import { describe, expect, it } from "vitest";
import { dialects } from "../helpers/stores.ts";
import { cancelledRunResponse, pageOf, runDetailResponse, runSummary, startedRun } from "../../src/server/schemas.ts";
import { Runtime } from "../../src/index.ts";
import { serverFixture, staller, stuck } from "./fixture.ts";
import { openEventStream } from "./sse-client.ts";

describe.each(await dialects())("runs over HTTP (%s)", (dialect) => {
  const open = serverFixture(dialect);

  it("starts a run with POST /api/runs (201 at once), then reads it back with its step tree, cost and audit principal", async () => {
    const { api, server, keys } = await open();
    const started = await api("/api/runs", { body: { workflow: "spend", input: { calls: 2 } }, as: "operator" });
    expect(started.status).toBe(201);
    startedRun.parse(started.body);
    const { runId } = started.body;
    // Wait on the run's own event stream for its end (no sleeping, no polling).
    const stream = await openEventStream(`${server.url}/api/runs/${runId}/events`, { key: keys.viewer });
    const messages = await stream.collect();
    expect(messages.at(-1)).toMatchObject({ event: "run-end", data: { type: "run-end", runId, data: { status: "completed" } } });

    const detail = await api(`/api/runs/${runId}`, { as: "viewer" });
    expect(detail.status).toBe(200);
    runDetailResponse.parse(detail.body);
    expect(detail.body.tree.run).toMatchObject({ id: runId, workflow: "spend", status: "completed", output: 2, principal: "operator" });
    expect(detail.body.tree.steps.map((step: { name: string }) => step.name)).toEqual(["clerk", "lookup", "lookup"]);
    expect(detail.body.cost).toMatchObject({ spentMicros: 20_000, charges: 2 });
    const steps = await api(`/api/runs/${runId}/steps`, { as: "viewer" });
    expect(steps.body.items).toHaveLength(3);
    // The start is audited with the key's operator as the principal.
    const audit = await api(`/api/audit?runId=${runId}&kind=run.start`, { as: "viewer" });
    expect(audit.body.items).toEqual([expect.objectContaining({ kind: "run.start", principal: "operator" })]);
  });

  it("pages runs with cursor and limit, newest first, and filters by status and workflow", async () => {
    const { api, runtime } = await open();
    const ids: string[] = [];
    for (let calls = 0; calls < 5; calls += 1) {
      const handle = await runtime.start("spend", { calls: 0 });
      await handle.result();
      ids.push(handle.runId);
    }
    const parked = await runtime.start("payout", { amount: 1 });
    expect((await parked.result()).status).toBe("waiting");

    const first = await api("/api/runs?limit=2&workflow=spend", { as: "viewer" });
    pageOf(runSummary).parse(first.body);
    expect(first.body.items.map((run: { id: string }) => run.id)).toEqual([ids[4], ids[3]]);
    const second = await api(`/api/runs?limit=2&workflow=spend&cursor=${first.body.nextCursor}`, { as: "viewer" });
    expect(second.body.items.map((run: { id: string }) => run.id)).toEqual([ids[2], ids[1]]);
    const third = await api(`/api/runs?limit=2&workflow=spend&cursor=${second.body.nextCursor}`, { as: "viewer" });
    expect(third.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

    const waiting = await api("/api/runs?status=waiting,failed", { as: "viewer" });
    expect(waiting.body.items.map((run: { id: string }) => run.id)).toEqual([parked.runId]);
    const bad = await api("/api/runs?status=sleeping", { as: "viewer" });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT" } } });
    const badCursor = await api("/api/runs?cursor=nonsense", { as: "viewer" });
    expect(badCursor).toMatchObject({ status: 422, body: { error: { code: "INVALID_INPUT", details: { cursor: "nonsense" } } } });
  });

  it("the all-runs stream carries step and run events of a run started over the API, with ids a reconnecting client can resume from", async () => {
    const { api, server, keys } = await open();
    const all = await openEventStream(`${server.url}/api/events`, { key: keys.viewer });
    const { body } = await api("/api/runs", { body: { workflow: "spend", input: { calls: 1 } }, as: "operator" });
    const messages = await all.collect((message) => message.event === "run-end" && message.data.runId === body.runId);
    all.close();
    const types = messages.filter((message) => message.data.runId === body.runId).map((message) => `${message.event}${message.data.stepKey ? ` ${message.data.data.name}` : ""}`);
    expect(types).toEqual(["run-start", "step-start clerk", "step-start lookup", "step-end lookup", "step-end clerk", "run-end"]);
    for (const message of messages) expect(message.data).toMatchObject({ type: message.event, runId: expect.any(String), at: expect.any(Number), data: expect.any(Object) });
    // A client that saw only the first event gets the rest again, in order, from Last-Event-ID.
    const resumed = await openEventStream(`${server.url}/api/events`, { key: keys.viewer, lastEventId: messages[0]!.id });
    const replayed = await resumed.collect((message) => message.id === messages.at(-1)!.id);
    resumed.close();
    expect(replayed.map((message) => message.id)).toEqual(messages.slice(1).map((message) => message.id));
  });

  it("a run-end event carries a small output, and leaves a large one to GET /api/runs/{id}", async () => {
    const { api, server, keys } = await open();
    const small = await api("/api/runs", { body: { workflow: "large", input: { bytes: 10 } }, as: "operator" });
    const big = await api("/api/runs", { body: { workflow: "large", input: { bytes: 100_000 } }, as: "operator" });
    const end = async (runId: string) => (await (await openEventStream(`${server.url}/api/runs/${runId}/events`, { key: keys.viewer })).collect()).at(-1)!.data.data;
    expect(await end(small.body.runId)).toMatchObject({ status: "completed", output: "xxxxxxxxxx" });
    const bigEnd = await end(big.body.runId);
    expect(bigEnd).toMatchObject({ status: "completed", outputOmitted: { bytes: 100_002 } });
    expect(bigEnd).not.toHaveProperty("output");
    expect((await api(`/api/runs/${big.body.runId}`, { as: "viewer" })).body.tree.run.output).toHaveLength(100_000);
  });

  it("an idle stream gets heartbeat comments; a Last-Event-ID this server does not keep gets replay-gap first", async () => {
    const { server, keys } = await open({ heartbeatMs: 20 });
    const stream = await openEventStream(`${server.url}/api/events`, { key: keys.viewer, lastEventId: "0ldb00t-41" });
    expect(await stream.next()).toMatchObject({ event: "replay-gap", data: { lastEventId: "0ldb00t-41" } });
    expect(await stream.untilComment()).toBe(true);
    expect(stream.comments[0]).toBe("heartbeat");
    stream.close();
  });

  it("resumes a run over the API (202), audited with the operator who resumed it", async () => {
    const { api, runtime, operator, server, keys } = await open();
    const handle = await runtime.start("payout", { amount: 9 });
    expect((await handle.result()).status).toBe("waiting");
    // Decided without resuming (as a process without the workflow would): the API resumes it.
    await operator.approvals.approve(handle.runId, "payout");
    const resumed = await api(`/api/runs/${handle.runId}/resume`, { body: {}, as: "operator" });
    expect(resumed).toMatchObject({ status: 202, body: { runId: handle.runId } });
    const stream = await openEventStream(`${server.url}/api/runs/${handle.runId}/events`, { key: keys.viewer });
    expect((await stream.collect()).at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "completed", output: "paid 9, approved by setup" } } });
    expect((await api(`/api/audit?runId=${handle.runId}&kind=run.resume`, { as: "viewer" })).body.items).toEqual([expect.objectContaining({ principal: "operator" })]);
    expect(await api("/api/runs/run_unknown/resume", { body: {}, as: "operator" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_RUN" } } });
  });

  it("a run's stream of a run that ended before this server started tells its end from the store and closes", async () => {
    const { api, server, keys, runtime } = await open();
    const handle = await runtime.start("spend", { calls: 1 });
    await handle.result();
    // A stream for an unknown run is a 404 before any event.
    expect(await api("/api/runs/run_nope/events", { as: "viewer" })).toMatchObject({ status: 404, body: { error: { code: "UNKNOWN_RUN" } } });
    const stream = await openEventStream(`${server.url}/api/runs/${handle.runId}/events`, { key: keys.viewer });
    const messages = await stream.collect();
    expect(messages.at(-1)).toMatchObject({ event: "run-end", data: { runId: handle.runId, data: { status: "completed" } } });
  });

  it("cancels a run executing here: its tool call stops, its hold is released, its budget returns, the audit names the operator", async () => {
    const { api, server, keys } = await open();
    const all = await openEventStream(`${server.url}/api/events`, { key: keys.viewer });
    const { body } = await api("/api/runs", { body: { workflow: "stuck", input: {} }, as: "operator" });
    // The tool call has started (and holds its price) when its step-start arrives.
    await all.collect((message) => message.event === "step-start" && message.data.runId === body.runId && message.data.data.name === "stall");
    const cancelled = await api(`/api/runs/${body.runId}/cancel`, { body: { reason: "stuck for good" }, as: "operator" });
    expect(cancelled.status).toBe(200);
    cancelledRunResponse.parse(cancelled.body);
    expect(cancelled.body).toMatchObject({ runId: body.runId, status: "cancelled", cancelled: [expect.objectContaining({ runId: body.runId, spentMicros: 0, returnedMicros: 1_000_000 })] });
    const end = await all.collect((message) => message.event === "run-end" && message.data.runId === body.runId);
    all.close();
    expect(end.at(-1)!.data.data.status).toBe("cancelled");

    const run = await api(`/api/runs/${body.runId}`, { as: "viewer" });
    expect(run.body.tree.run).toMatchObject({ status: "cancelled", error: { code: "ABORTED" } });
    const accounts = await api(`/api/budgets?runId=${body.runId}`, { as: "viewer" });
    for (const account of accounts.body.items) expect(account).toMatchObject({ balanceMicros: 0, reservedMicros: 0 });
    const audit = await api(`/api/audit?runId=${body.runId}&kind=run.cancelled`, { as: "viewer" });
    expect(audit.body.items).toEqual([expect.objectContaining({ principal: "operator", data: expect.objectContaining({ reason: "stuck for good" }) })]);
    // Cancelled is final: no resume, and a second cancel changes nothing.
    expect(await api(`/api/runs/${body.runId}/resume`, { body: {}, as: "operator" })).toMatchObject({ status: 409, body: { error: { code: "RUN_NOT_RESUMABLE" } } });
    expect((await api(`/api/runs/${body.runId}/cancel`, { body: {}, as: "operator" })).body.cancelled).toEqual([]);
  });

  it("cancels a run another process executes: that process loses the run at its next write, the hold it left is released", async () => {
    const { api, location } = await open();
    const elsewhere = await Runtime.open({ store: location.location, agents: [staller], workflows: [stuck] });
    try {
      const started = new Promise<void>((resolve) => elsewhere.on("step-start", (event) => event.name === "stall" && resolve()));
      const handle = await elsewhere.start("stuck", {});
      await started;
      const cancelled = await api(`/api/runs/${handle.runId}/cancel`, { body: { reason: "taken over" }, as: "operator" });
      expect(cancelled.body).toMatchObject({ status: "cancelled", cancelled: [expect.objectContaining({ runId: handle.runId })] });
      // Stopping the other process: its end is fenced off (the lease moved), so the run stays cancelled.
      await elsewhere.close();
      expect(await handle.result()).toMatchObject({ status: "failed" });
      const run = await api(`/api/runs/${handle.runId}`, { as: "viewer" });
      expect(run.body.tree.run.status).toBe("cancelled");
      for (const account of (await api(`/api/budgets?runId=${handle.runId}`, { as: "viewer" })).body.items) expect(account).toMatchObject({ reservedMicros: 0, balanceMicros: 0 });
    } finally {
      await elsewhere.close();
    }
  });

  it("cancels a parked run and its waiting child run; their approval is no longer pending; a completed run cannot be cancelled", async () => {
    const { api, runtime } = await open();
    const parent = await runtime.start("batch", {});
    expect((await parent.result()).status).toBe("waiting");
    expect((await api("/api/approvals", { as: "viewer" })).body.items).toHaveLength(1);
    const cancelled = await api(`/api/runs/${parent.runId}/cancel`, { body: {}, as: "operator" });
    expect(cancelled.body.cancelled.map((run: { workflow: string }) => run.workflow)).toEqual(["payout", "batch"]);
    expect((await api("/api/approvals", { as: "viewer" })).body.items).toEqual([]);
    const runs = await api("/api/runs?status=cancelled", { as: "viewer" });
    expect(runs.body.items).toHaveLength(2);
    expect((await api("/api/runs?status=cancelled&parent=none", { as: "viewer" })).body.items.map((run: { id: string }) => run.id)).toEqual([parent.runId]);
    expect((await api(`/api/runs?parent=${parent.runId}`, { as: "viewer" })).body.items).toEqual([expect.objectContaining({ workflow: "payout", parentRunId: parent.runId })]);

    const done = await runtime.start("spend", { calls: 0 });
    await done.result();
    expect(await api(`/api/runs/${done.runId}/cancel`, { body: {}, as: "operator" })).toMatchObject({ status: 409, body: { error: { code: "RUN_ENDED" } } });
  });
});
