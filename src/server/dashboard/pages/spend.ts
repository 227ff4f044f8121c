import { html } from "hono/html";
import { barChart, spendLine } from "../charts.ts";
import { count, money } from "../format.ts";
import type { PageContext, RenderedPage } from "../page-context.ts";

/** `/spend`: where the money went, per agent, per model (with tokens), per tool and per day. */
export async function spendPage(context: PageContext): Promise<RenderedPage> {
  const [byAgent, byModel, byTool, byDay] = await Promise.all(
    (["agent", "model", "tool", "day"] as const).map((by) => context.operator.budgets.spend({ by })),
  );
  const total = byAgent!.reduce((sum, row) => sum + row.spentMicros, 0);
  return {
    title: "Spend",
    section: "spend",
    live: { events: "/api/events", refreshOn: ["run-end"] },
    body: html`<h1>Spend <span class="muted">· ${money(total)} in all</span></h1>
<div class="chart-grid">
  <section class="card" aria-labelledby="by-agent"><h2 id="by-agent">Per agent</h2>
    ${barChart("Spend per agent", byAgent!.map((row) => ({ label: row.key, micros: row.spentMicros, note: `${count(row.calls)} calls` })), { id: "spend-agents" })}</section>
  <section class="card" aria-labelledby="by-model"><h2 id="by-model">Per model</h2>
    ${barChart("Spend per model", byModel!.map((row) => ({ label: row.key, micros: row.spentMicros, note: `${count(row.inputTokens)} in / ${count(row.outputTokens)} out tokens` })), { id: "spend-models" })}</section>
</div>
<section class="card" aria-labelledby="by-day"><h2 id="by-day">Per day (UTC)</h2>
  ${spendLine("Spend per day", byDay!.map((row) => ({ day: row.key, micros: row.spentMicros })), { id: "spend-days" })}</section>
<section class="card" aria-labelledby="by-tool"><h2 id="by-tool">Per tool</h2>
  ${barChart("Spend per tool", byTool!.map((row) => ({ label: row.key, micros: row.spentMicros, note: `${count(row.calls)} calls` })), { id: "spend-tools" })}</section>`,
  };
}
