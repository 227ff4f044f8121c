import { html } from "hono/html";
import type { PendingApproval } from "../../../workflow/approvals.ts";
import { json, time } from "../format.ts";
import type { Html } from "../layout.ts";
import { may, type PageContext, type RenderedPage } from "../page-context.ts";

/** `/approvals`: what runs wait for, oldest first, with the request; approvers decide here. */
export async function approvalsPage(context: PageContext): Promise<RenderedPage> {
  const pending = await context.operator.approvals.pending();
  return {
    title: "Approvals",
    section: "approvals",
    live: { events: "/api/events", refreshOn: ["wait-start", "wait", "approval-decided", "run-end"] },
    body: html`<h1>Approvals <span class="badge" id="approval-count">${pending.length}</span></h1>
${may(context, "approver") ? "" : html`<p class="muted" id="approver-notice">You are a ${context.identity.role}: deciding needs the approver role.</p>`}
<table id="approvals">
  <thead><tr><th>Run</th><th>Approval</th><th>Request</th><th>Requested (UTC)</th><th>Deadline</th><th>Decision</th></tr></thead>
  <tbody>
  ${pending.length === 0 ? html`<tr><td colspan="6" class="muted">Nothing waits for a decision.</td></tr>` : ""}
  ${pending.map(
    (approval) => html`<tr data-approval="${approval.name}" data-run-id="${approval.runId}">
    <td><a href="/runs/${approval.runId}"><code>${approval.runId}</code></a><br><span class="muted">${approval.workflow}</span></td>
    <td><strong>${approval.name}</strong><br><span class="muted">${approval.stepKey}</span></td>
    <td><pre>${json(approval.request)}</pre></td>
    <td>${time(approval.requestedAt)}</td>
    <td>${approval.deadline ? time(approval.deadline) : html`<span class="muted">none</span>`}</td>
    <td>${approvalControls(context, approval)}</td>
  </tr>`,
  )}
  </tbody>
</table>`,
  };
}

/** Approve and reject buttons with an optional note, for approvers only (the API refuses others with 403). */
export function approvalControls(context: PageContext, approval: PendingApproval): Html {
  if (!may(context, "approver")) return html`<span class="muted">needs the approver role</span>`;
  // Ids keep the focus on a control across live updates of the page.
  const base = `/api/approvals/${encodeURIComponent(approval.runId)}/${encodeURIComponent(approval.name)}`;
  const noteId = `note-${approval.runId}-${approval.name}`;
  return html`<div class="actions">
  <label class="sr-only" for="${noteId}">Note for ${approval.name}</label>
  <input id="${noteId}" placeholder="note (optional)" size="16">
  <button type="button" class="primary" id="approve-${approval.runId}-${approval.name}" data-api="${base}/approve" data-note="${noteId}" data-done="Approved ${approval.name}: the run goes on.">Approve</button>
  <button type="button" class="danger" id="reject-${approval.runId}-${approval.name}" data-api="${base}/reject" data-note="${noteId}" data-done="Rejected ${approval.name}.">Reject</button>
</div>`;
}
