import { html } from "hono/html";
import type { JournalEntry } from "../../engine/journal.ts";
import type { RunTree } from "../../operator/run-tree.ts";
import { count, duration, money } from "./format.ts";
import { badge, type Html } from "./layout.ts";

/** One line of the waterfall: a step of some run in the tree, or the head of a child run. */
type Row =
  | { kind: "step"; step: JournalEntry; depth: number; costMicros: number; runId: string }
  | { kind: "child"; tree: RunTree; depth: number };

/** Errors that are a decision (the gateway or a person said no), not a failure of the work. */
const refusalFaults = new Set(["permission", "budget"]);

/**
 * A run's steps as a waterfall: one row per step (its latest attempt), indented under the
 * step it runs in, child runs nested under the step that started them, each with a bar from
 * its start to its end on one time axis (a running step's bar reaches `now`).
 */
export function waterfall(tree: RunTree, now: number): Html {
  const rows = flatten(tree, 0);
  const start = tree.run.createdAt;
  const end = Math.max(
    start + 1,
    ...rows.map((row) => (row.kind === "step" ? (row.step.endedAt ?? now) : (row.tree.run.endedAt ?? now))),
  );
  const span = end - start;
  const bar = (from: number, to: number, status: string) => {
    const left = ((from - start) / span) * 100;
    const width = Math.max(0.4, ((to - from) / span) * 100);
    return html`<svg width="100%" height="14" role="presentation" preserveAspectRatio="none" viewBox="0 0 100 14"><rect x="${left.toFixed(2)}" y="2" width="${Math.min(width, 100 - left).toFixed(2)}" height="10" rx="1" fill="${barColour(status)}"></rect></svg>`;
  };
  return html`<table class="waterfall" id="waterfall">
  <thead><tr><th>Step</th><th>Type</th><th>Status</th><th class="num">Attempt</th><th class="num">Duration</th><th class="num">Cost</th><th class="num">Tokens in / out</th><th>Timeline · ${duration(span)}</th></tr></thead>
  <tbody>
  ${rows.length === 0 ? html`<tr><td colspan="8" class="muted">No steps yet.</td></tr>` : ""}
  ${rows.map((row) => {
    const indent = `padding-left:${8 + row.depth * 18}px`;
    if (row.kind === "child") {
      const child = row.tree.run;
      return html`<tr class="child-run" data-child-run="${child.id}">
    <td class="label" style="${indent}">↳ child run <a href="/runs/${child.id}">${child.workflow}</a></td>
    <td>workflow</td><td>${badge(child.status)}</td><td></td>
    <td class="num">${duration((child.endedAt ?? now) - child.createdAt)}</td>
    <td class="num">${money(sumCharges(row.tree))}</td><td></td>
    <td class="bar">${bar(child.createdAt, child.endedAt ?? now, child.status)}</td>
  </tr>`;
    }
    const { step } = row;
    const usage = modelUsage(step);
    const refused = step.error !== undefined && refusalFaults.has(step.error.fault);
    return html`<tr data-step="${step.key}" data-run="${row.runId}" data-status="${step.status}">
    <td class="label" style="${indent}"><span title="${step.key}">${step.name}</span>${step.agent && step.agent !== step.name ? html` <span class="muted">· ${step.agent}</span>` : ""}
      ${step.error ? html`<div class="step-error"><span class="${refused ? "badge s-failed" : "badge"}" data-error="${step.error.code}">${refused ? "refused: " : ""}${step.error.code}</span> <span class="muted" title="${step.error.message}">${clip(step.error.message, 140)}</span></div>` : ""}</td>
    <td>${step.type}</td>
    <td>${badge(step.status)}</td>
    <td class="num">${step.attempt > 1 ? html`<span class="badge s-partial" title="retried">${step.attempt}</span>` : step.attempt}</td>
    <td class="num">${duration(step.durationMs ?? (step.status === "started" ? now - step.startedAt : null))}</td>
    <td class="num">${row.costMicros > 0 ? money(row.costMicros) : ""}</td>
    <td class="num">${usage ? `${count(usage.inputTokens)} / ${count(usage.outputTokens)}` : ""}</td>
    <td class="bar">${bar(step.startedAt, step.endedAt ?? now, step.status)}</td>
  </tr>`;
  })}
  </tbody>
</table>`;
}

function flatten(tree: RunTree, depth: number): Row[] {
  const cost = new Map<string, number>();
  for (const charge of tree.charges) if (charge.stepKey) cost.set(charge.stepKey, (cost.get(charge.stepKey) ?? 0) + charge.amountMicros);
  const rows: Row[] = [];
  const placed = new Set<string>();
  for (const step of tree.steps) {
    const stepDepth = depth + (step.key.match(/\//g)?.length ?? 0);
    rows.push({ kind: "step", step, depth: stepDepth, costMicros: cost.get(step.key) ?? 0, runId: tree.run.id });
    // The child runs this step started, right under it.
    for (const child of tree.children.filter((candidate) => candidate.run.parentStepKey === step.key)) {
      placed.add(child.run.id);
      rows.push({ kind: "child", tree: child, depth: stepDepth + 1 }, ...flatten(child, stepDepth + 2));
    }
  }
  for (const child of tree.children.filter((candidate) => !placed.has(candidate.run.id))) {
    rows.push({ kind: "child", tree: child, depth: depth + 1 }, ...flatten(child, depth + 2));
  }
  return rows;
}

/** A model step's journaled turn carries its token usage. */
function modelUsage(step: JournalEntry): { inputTokens: number; outputTokens: number } | undefined {
  if (step.type !== "model") return undefined;
  const usage = (step.output as { usage?: { inputTokens?: unknown; outputTokens?: unknown } } | undefined)?.usage;
  if (!usage || typeof usage.inputTokens !== "number" || typeof usage.outputTokens !== "number") return undefined;
  return { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens };
}

function sumCharges(tree: RunTree): number {
  return tree.charges.reduce((sum, charge) => sum + charge.amountMicros, 0) + tree.children.reduce((sum, child) => sum + sumCharges(child), 0);
}

function barColour(status: string): string {
  if (status === "completed") return "#4f9a6e";
  if (status === "failed" || status === "cancelled") return "#c8554d";
  if (status === "waiting") return "#8a65c9";
  return "#6d8fd8";
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
