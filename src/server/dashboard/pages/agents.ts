import { html } from "hono/html";
import { money, time } from "../format.ts";
import { badge } from "../layout.ts";
import { may, type PageContext, type RenderedPage } from "../page-context.ts";

/** `/agents`: the inventory with status, risk, review due, breaker and spend; admins revoke and restore. */
export async function agentsPage(context: PageContext): Promise<RenderedPage> {
  const agents = await context.operator.agents.list();
  const admin = may(context, "admin");
  return {
    title: "Agents",
    section: "agents",
    body: html`<h1>Agents</h1>
<table id="agents">
  <thead><tr><th>Agent</th><th>Owner</th><th>Risk</th><th>Status</th><th>Breaker</th><th>Review due (UTC)</th><th>Model</th><th class="num">Spent</th>${admin ? html`<th>Action</th>` : ""}</tr></thead>
  <tbody>
  ${agents.length === 0 ? html`<tr><td colspan="9" class="muted">No agents registered.</td></tr>` : ""}
  ${agents.map(
    (agent) => html`<tr data-agent="${agent.name}" data-status="${agent.status}">
    <td><strong>${agent.name}</strong> <span class="muted">v${agent.version}</span><br><span class="muted">${agent.purpose}</span></td>
    <td>${agent.owner}</td>
    <td>${badge(agent.risk)}</td>
    <td>${badge(agent.status)}</td>
    <td>${agent.breaker ? badge(agent.breaker) : html`<span class="muted">–</span>`}</td>
    <td>${agent.reviewDueAt ? time(agent.reviewDueAt) : html`<span class="muted">no cadence</span>`}${agent.reviewOverdue ? html` ${badge("overdue")}` : ""}</td>
    <td>${agent.model ?? html`<span class="muted">–</span>`}</td>
    <td class="num">${money(agent.spentMicros)}</td>
    ${admin
      ? html`<td>${agent.status === "active"
          ? html`<button type="button" class="danger" id="revoke-${agent.name}" data-api="/api/agents/${agent.name}/revoke" data-confirm="Revoke ${agent.name}? Its next gateway call is refused, in every run." data-done="Revoked ${agent.name}.">Revoke</button>`
          : html`<button type="button" id="restore-${agent.name}" data-api="/api/agents/${agent.name}/restore" data-done="Restored ${agent.name}.">Restore</button>`}</td>`
      : ""}
  </tr>`,
  )}
  </tbody>
</table>`,
  };
}
