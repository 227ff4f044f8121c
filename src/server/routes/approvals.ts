import { z } from "zod";
import type { Operator } from "../../operator/operator.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { defineRoute, type Route } from "../route.ts";
import type { RunEventHub } from "../run-events.ts";
import { approvalListQuery, decisionBody, decisionParams, decisionResponse, pendingApproval } from "../schemas.ts";

/** Human-in-the-loop: what runs wait for, and the decisions that let them go on. */
export function approvalRoutes(): Route[] {
  const decide = (approved: boolean) =>
    defineRoute({
      method: "post",
      path: `/api/approvals/:runId/:approvalId/${approved ? "approve" : "reject"}`,
      summary: approved ? "Approves what a waiting run asked for, then resumes the run" : "Rejects what a waiting run asked for (its ctx.approval throws APPROVAL_REJECTED), then resumes the run",
      tag: "approvals",
      role: "approver",
      params: decisionParams,
      body: decisionBody,
      response: decisionResponse,
      handle: ({ params, body, operator, runtime, events }) => decideAndResume({ operator, runtime, events }, { ...params, approved, note: body.note }),
    });
  return [
    defineRoute({
      method: "get",
      path: "/api/approvals",
      summary: "Approvals waiting for a decision, oldest first",
      tag: "approvals",
      role: "viewer",
      query: approvalListQuery,
      response: z.object({ items: z.array(pendingApproval) }),
      handle: async ({ query, operator }) => ({ items: await operator.approvals.pending({ runId: query.runId }) }),
    }),
    decide(true),
    decide(false),
  ];
}

/**
 * Records the decision (audited with the caller as principal), then resumes the outermost run
 * waiting on it, as `cadre approve` does, when this server has its workflow and nobody else executes it.
 */
async function decideAndResume(services: { operator: Operator; runtime: Runtime; events: RunEventHub }, decision: { runId: string; approvalId: string; approved: boolean; note?: string }) {
  const { operator, runtime, events } = services;
  const outcome = decision.approved
    ? await operator.approvals.approve(decision.runId, decision.approvalId, { note: decision.note })
    : await operator.approvals.reject(decision.runId, decision.approvalId, { note: decision.note });
  events.publish({ type: "approval-decided", runId: decision.runId, data: { name: decision.approvalId, ...outcome.decision } });
  let resumed = false;
  if (runtime.workflows.has(outcome.resume.workflow)) {
    const handle = await runtime.wake(decision.runId);
    if (handle) {
      resumed = true;
      void handle.result().catch(() => {});
    }
  }
  return { runId: outcome.runId, name: outcome.name, decision: outcome.decision, resume: { runId: outcome.resume.runId, workflow: outcome.resume.workflow, resumed } };
}
