import { html } from "hono/html";
import { json, time } from "../format.ts";
import { pageSize, queryText, type PageContext, type RenderedPage } from "../page-context.ts";

const filters = [
  ["kind", "Kind", "approval.* for a family"],
  ["runId", "Run", "run id"],
  ["agent", "Agent", "agent name"],
  ["principal", "Principal", "who acted"],
] as const;

/** `/audit`: the hash-chained log newest first, filtered and paged, with a verify button. */
export async function auditPage(context: PageContext): Promise<RenderedPage> {
  const chosen = Object.fromEntries(filters.flatMap(([name]) => (queryText(context, name) ? [[name, queryText(context, name)!]] : []))) as Partial<Record<(typeof filters)[number][0], string>>;
  const cursor = queryText(context, "cursor");
  const page = await context.operator.audit.list({ ...chosen, cursor, limit: pageSize(context) });
  const filterQuery = new URLSearchParams({ ...(chosen as Record<string, string>), ...(context.query.limit ? { limit: String(pageSize(context)) } : {}) });
  return {
    title: "Audit",
    section: "audit",
    body: html`<h1>Audit log</h1>
<div class="card actions">
  <button type="button" id="verify" data-api="/api/audit/verify" data-show="verify">Verify the chain</button>
  <span class="muted">walks every link and checks every checkpoint</span>
</div>
<pre id="verify-result" hidden></pre>
<form class="filters" method="get" action="/audit" aria-label="Filter audit records">
  ${filters.map(([name, label, hint]) => html`<label for="audit-${name}">${label}<input id="audit-${name}" name="${name}" value="${chosen[name] ?? ""}" placeholder="${hint}"></label>`)}
  <button type="submit">Filter</button>
  ${Object.keys(chosen).length > 0 ? html`<a href="/audit">Clear</a>` : ""}
</form>
<table id="audit">
  <thead><tr><th class="num">#</th><th>At (UTC)</th><th>Kind</th><th>Run</th><th>Agent</th><th>Principal</th><th>Data</th></tr></thead>
  <tbody>
  ${page.items.length === 0 ? html`<tr><td colspan="7" class="muted">No records${Object.keys(chosen).length > 0 ? " match these filters" : ""}.</td></tr>` : ""}
  ${page.items.map(
    (record) => html`<tr data-seq="${record.seq}" data-kind="${record.kind}">
    <td class="num">${record.seq}</td>
    <td>${time(record.at)}</td>
    <td><code>${record.kind}</code></td>
    <td>${record.runId ? html`<a href="/runs/${record.runId}"><code>${record.runId.slice(0, 14)}</code></a>${record.stepKey ? html`<br><span class="muted">${record.stepKey}</span>` : ""}` : ""}</td>
    <td>${record.agent ?? ""}</td>
    <td>${record.principal ?? ""}</td>
    <td><code class="data">${json(record.data, 400, { compact: true })}</code></td>
  </tr>`,
  )}
  </tbody>
</table>
<div class="pager">
  ${cursor ? html`<a href="/audit?${filterQuery.toString()}">Newest</a>` : ""}
  ${page.nextCursor ? html`<a href="/audit?${new URLSearchParams({ ...Object.fromEntries(filterQuery), cursor: page.nextCursor }).toString()}">Older records</a>` : ""}
</div>`,
  };
}
