import { html } from "hono/html";
import type { RunTree } from "../../../operator/run-tree.ts";
import { finalStatuses } from "../../run-events.ts";
import { count, duration, json, money, time } from "../format.ts";
import { badge, type Html } from "../layout.ts";
import { may, type PageContext, type RenderedPage } from "../page-context.ts";
import { waterfall } from "../waterfall.ts";
import { approvalControls } from "./approvals.ts";

/** `/runs/:id`: one run, its waterfall, what it waits for, the model's answers; live until it ends. */
export async function runPage(context: PageContext): Promise<RenderedPage> {
  const runId = context.params.id!;
  const tree = await context.operator.runs.tree(runId);
  const cost = await context.operator.runs.cost(runId);
  const waits = await context.operator.runs.waits(runId);
  const pending = waits.some((wait) => wait.kind === "approval") ? await context.operator.approvals.pending() : [];
  const { run } = tree;
  const now = context.now();
  const final = finalStatuses.has(run.status);
  const cancellable = !final && may(context, "operator");
  return {
    title: `${run.workflow} ${run.id}`,
    section: "runs",
    live: { events: `/api/runs/${encodeURIComponent(run.id)}/events`, refreshOn: ["run-start", "run-end", "step-start", "step-end", "wait-start", "wait", "approval-decided"], runId: run.id, final },
    body: html`<h1>${run.workflow} <code>${run.id}</code> <span id="run-status" data-status="${run.status}">${badge(run.status)}</span></h1>
<div class="card">
<dl class="facts">
  <div><dt>Started (UTC)</dt><dd>${time(run.createdAt)}</dd></div>
  <div><dt>Duration</dt><dd>${duration((run.endedAt ?? now) - run.createdAt)}</dd></div>
  <div><dt>Cost (with child runs)</dt><dd id="run-cost">${money(cost.spentMicros)}</dd></div>
  <div><dt>Charges</dt><dd>${count(cost.charges)}</dd></div>
  <div><dt>Tokens in / out</dt><dd>${count(cost.inputTokens)} / ${count(cost.outputTokens)}</dd></div>
  <div><dt>Budget</dt><dd>${money(run.budget)}</dd></div>
  <div><dt>Started by</dt><dd>${run.principal}</dd></div>
  ${run.parentRunId ? html`<div><dt>Parent run</dt><dd><a href="/runs/${run.parentRunId}"><code>${run.parentRunId}</code></a></dd></div>` : ""}
</dl>
${cancellable ? html`<p class="actions"><button type="button" class="danger" id="cancel-run" data-api="/api/runs/${run.id}/cancel" data-confirm="Cancel this run and its unfinished child runs?" data-done="Cancelled.">Cancel run</button></p>` : ""}
${run.error ? html`<p><span class="badge s-failed">${run.error.code}</span> ${run.error.message}</p>` : ""}
</div>
${waits.length > 0
  ? html`<h2>Waiting for</h2><div class="card" id="waits">${waits.map((wait) => {
      if (wait.kind === "event") return html`<p>the event <code>${wait.topic}</code> (run <code>${wait.runId}</code>)</p>`;
      const approval = pending.find((candidate) => candidate.runId === wait.runId && candidate.name === wait.name);
      return html`<div data-approval="${wait.name}"><p>the approval <strong>${wait.name}</strong>${wait.runId === run.id ? "" : html` in child run <a href="/runs/${wait.runId}"><code>${wait.runId}</code></a>`}</p>
        ${approval ? html`<pre>${json(approval.request)}</pre>${approvalControls(context, approval)}` : ""}</div>`;
    })}</div>`
  : ""}
<h2>Steps</h2>
${waterfall(tree, now)}
<h2>Model answers</h2>
<div class="card answer" id="answers" aria-live="polite">${answers(tree)}</div>
${final && run.output !== undefined && run.output !== null ? html`<h2>Output</h2><pre id="run-output">${json(run.output, 8000)}</pre>` : ""}`,
  };
}

/** The text of every finished model turn in the tree, from the journal (streamed text replaces it while a run is live). */
function answers(tree: RunTree): Html {
  const turns = collectTurns(tree);
  if (turns.length === 0) return html`<p class="muted" id="answers-empty">No model turns yet.</p>`;
  return html`${turns.map((turn) => html`<h3>${turn.agent} · ${turn.key}</h3><pre>${turn.text}</pre>`)}`;
}

function collectTurns(tree: RunTree): Array<{ key: string; agent: string; text: string }> {
  const own = tree.steps
    .filter((step) => step.type === "model" && step.status === "completed")
    .map((step) => ({ key: step.key, agent: step.agent ?? "model", text: String((step.output as { text?: unknown } | undefined)?.text ?? "") }))
    .filter((turn) => turn.text !== "");
  return [...own, ...tree.children.flatMap(collectTurns)];
}
