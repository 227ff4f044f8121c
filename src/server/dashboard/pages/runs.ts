import { html } from "hono/html";
import { runStatuses } from "../../../operator/runs.ts";
import type { RunStatus } from "../../../store/schema.ts";
import { duration, money, time } from "../format.ts";
import { badge } from "../layout.ts";
import { may, pageSize, queryText, type PageContext, type RenderedPage } from "../page-context.ts";

/** `/`: runs newest first, filtered by status and workflow, updated live; operators may start one. */
export async function runsPage(context: PageContext): Promise<RenderedPage> {
  const status = queryText(context, "status");
  const workflow = queryText(context, "workflow");
  const cursor = queryText(context, "cursor");
  const page = await context.operator.runs.list({ status: status ? [status as RunStatus] : undefined, workflow, cursor, limit: pageSize(context) });
  // Each run's own charges (its child runs are rows of their own): one indexed read per run shown, never the whole ledger.
  const costs = await Promise.all(page.items.map(async (run) => [run.id, (await context.operator.runs.cost(run.id, { includeChildRuns: false })).spentMicros] as const));
  const spent = new Map(costs);
  const workflows = [...context.runtime.workflows.keys()].sort();
  const now = context.now();
  const filterQuery = new URLSearchParams({ ...(status ? { status } : {}), ...(workflow ? { workflow } : {}), ...(context.query.limit ? { limit: String(pageSize(context)) } : {}) });
  return {
    title: "Runs",
    section: "runs",
    live: { events: "/api/events", refreshOn: ["run-start", "run-end", "wait", "approval-decided"] },
    body: html`<h1>Runs</h1>
${may(context, "operator") && workflows.length > 0 ? startForm(workflows) : ""}
<form class="filters" method="get" action="/" aria-label="Filter runs">
  <label for="filter-status">Status
    <select id="filter-status" name="status">
      <option value="">any</option>
      ${runStatuses.map((value) => html`<option value="${value}"${value === status ? html` selected` : ""}>${value}</option>`)}
    </select>
  </label>
  <label for="filter-workflow">Workflow
    <input id="filter-workflow" name="workflow" list="workflow-names" value="${workflow ?? ""}" placeholder="any">
    <datalist id="workflow-names">${workflows.map((name) => html`<option value="${name}"></option>`)}</datalist>
  </label>
  <button type="submit">Filter</button>
  ${status || workflow ? html`<a href="/">Clear</a>` : ""}
</form>
<table id="runs">
  <thead><tr><th>Run</th><th>Workflow</th><th>Status</th><th class="num">Cost</th><th class="num">Duration</th><th>Started (UTC)</th></tr></thead>
  <tbody>
  ${page.items.length === 0 ? html`<tr><td colspan="6" class="muted">No runs${status || workflow ? " match these filters" : " yet"}.</td></tr>` : ""}
  ${page.items.map(
    (run) => html`<tr data-run-id="${run.id}" data-status="${run.status}">
    <td><a href="/runs/${run.id}"><code>${run.id}</code></a>${run.parentRunId ? html` <span class="muted">child of <a href="/runs/${run.parentRunId}"><code>${run.parentRunId.slice(0, 12)}</code></a></span>` : ""}</td>
    <td>${run.workflow}</td>
    <td class="status">${badge(run.status)}</td>
    <td class="num">${money(spent.get(run.id) ?? 0)}</td>
    <td class="num">${duration((run.endedAt ?? now) - run.createdAt)}</td>
    <td>${time(run.createdAt)}</td>
  </tr>`,
  )}
  </tbody>
</table>
<div class="pager">
  ${cursor ? html`<a href="/?${filterQuery.toString()}">Newest</a>` : ""}
  ${page.nextCursor ? html`<a href="/?${new URLSearchParams({ ...Object.fromEntries(filterQuery), cursor: page.nextCursor }).toString()}">Older runs</a>` : ""}
</div>`,
  };
}

function startForm(workflows: string[]) {
  return html`<form class="filters card" data-start-run aria-label="Start a run">
  <label for="start-workflow">Workflow
    <select id="start-workflow" name="workflow">${workflows.map((name) => html`<option value="${name}">${name}</option>`)}</select>
  </label>
  <label for="start-input" style="flex:1">Input (JSON)
    <textarea id="start-input" name="input" rows="1" spellcheck="false">{}</textarea>
  </label>
  <button type="submit" class="primary">Start run</button>
</form>`;
}
