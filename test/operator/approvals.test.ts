import { describe, expect, it } from "vitest";
import { dialects } from "../helpers/stores.ts";
import { auditRecords, batch, operatorFixture, payout } from "./setup.ts";

describe.each(await dialects())("operator approvals on %s", (dialect) => {
  const open = operatorFixture(dialect);

  it("lists pending approvals; approving records the decision as the operator's principal and says which run to resume, which a runtime then finishes", async () => {
    const fixture = await open();
    const { runtime, operator, clock } = fixture;
    const parent = (await (await runtime.start(batch, {})).result()).runId;
    const [child] = (await operator.runs.list({ parentRunId: parent })).items;

    const pending = await operator.approvals.pending();
    expect(pending).toEqual([{ runId: child!.id, workflow: "payout", name: "payout", stepKey: expect.any(String), request: { amount: 7 }, requestedAt: expect.any(Number), deadline: null }]);
    expect(await operator.approvals.pending({ runId: parent })).toEqual([]);
    expect(await operator.approvals.pending({ runId: child!.id })).toEqual(pending);

    const outcome = await operator.approvals.approve(child!.id, "payout", { note: "invoice checked" });
    // The child's wait parked its parent: the parent is the run to resume.
    expect(outcome).toEqual({ runId: child!.id, name: "payout", decision: { approved: true, by: "alice", note: "invoice checked", at: clock.now }, resume: { runId: parent, workflow: "batch", status: "waiting" } });
    expect(await operator.approvals.pending()).toEqual([]);
    expect(await auditRecords(operator, ["approval.granted"])).toEqual([expect.objectContaining({ runId: child!.id, principal: "alice", at: clock.now, data: { name: "payout", note: "invoice checked" } })]);

    const handle = await runtime.wake(outcome.runId);
    expect(handle?.runId).toBe(outcome.resume.runId);
    expect(await handle!.result()).toMatchObject({ status: "completed", output: "paid 7, approved by alice" });
  });

  it("a rejection is recorded and the resumed run fails with APPROVAL_REJECTED; deciding again is APPROVAL_DECIDED; an approval nobody waits for is UNKNOWN_RUN", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const runId = (await (await runtime.start(payout, { amount: 99 })).result()).runId;

    const outcome = await operator.approvals.reject(runId, "payout", { note: "no invoice" });
    expect(outcome).toMatchObject({ decision: { approved: false, by: "alice", note: "no invoice" }, resume: { runId, workflow: "payout", status: "waiting" } });
    expect(await auditRecords(operator, ["approval.rejected"])).toEqual([expect.objectContaining({ runId, principal: "alice", data: { name: "payout", note: "no invoice" } })]);

    await expect(operator.approvals.approve(runId, "payout")).rejects.toMatchObject({ code: "APPROVAL_DECIDED", details: { approved: false, by: "alice", runStatus: "waiting", resumeRunId: runId, resumeWorkflow: "payout" } });
    expect(await (await runtime.resume(runId)).result()).toMatchObject({ status: "failed", error: { code: "APPROVAL_REJECTED" } });
    await expect(operator.approvals.reject(runId, "payout")).rejects.toMatchObject({ code: "APPROVAL_DECIDED", details: { runStatus: "failed" } });

    await expect(operator.approvals.approve(runId, "other")).rejects.toMatchObject({ code: "UNKNOWN_RUN", details: { runId, name: "other" } });
    await expect(operator.approvals.approve("run_nope", "payout")).rejects.toMatchObject({ code: "UNKNOWN_RUN" });
  });
});
