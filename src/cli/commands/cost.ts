import type { Command } from "commander";
import type { CostReport, RunCostFigures, RunStats } from "../../operator/costs.ts";
import { globalOptions, withReadOnlyOperator } from "../cli-context.ts";
import { loadConfig, type CadreConfig } from "../config.ts";
import { parseSince, parseVolume, parseWhatIf } from "../cost-options.ts";
import { printJson, style } from "../io.ts";
import { formatMoney, formatTime, renderTable } from "../table.ts";

interface CostCommandOptions {
  workflow?: string;
  since?: string;
  volume?: string;
  whatIf?: string;
  baseline?: string;
}

/** `cadre cost`: token economics from the journaled runs. */
export function registerCostCommands(program: Command): void {
  program
    .command("cost")
    .description("tokens and model cost per run (p50/p95/max) by agent and model, a daily projection, what-if model tiering, a baseline multiplier")
    .option("--workflow <name>", "only runs of this workflow (child runs count towards their parent)")
    .option("--since <span|date>", "only runs started since: 30m, 12h, 7d, 2w or a date (default: every run)")
    .option("--volume <runs>", "project the cost of this many runs a day: 1000/day, 50/hour")
    .option("--what-if <agent=model,...>", "reprice the same tokens under other models: writer=openai:gpt-4o-mini,*=openai:gpt-4.1-nano")
    .option("--baseline <workflow>", "compare tokens and cost per run with this workflow (a single-agent baseline)")
    .action(async (options: CostCommandOptions, command: Command) => {
      const global = globalOptions(command);
      const since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
      const runsPerDay = options.volume === undefined ? undefined : parseVolume(options.volume);
      const whatIf = options.whatIf === undefined ? undefined : parseWhatIf(options.whatIf);
      // Configured prices reprice what-if models the way the runtime would charge them.
      // A config named with --config must load; one merely found in the directory is optional here, as for other store-only commands.
      const { config } = await loadConfig(global.config).catch((error: unknown) => {
        if (global.config !== undefined) throw error;
        return { config: {} as CadreConfig };
      });
      const report = await withReadOnlyOperator(global, (operator) => operator.costs.report({ workflow: options.workflow, since, runsPerDay, whatIf, baseline: options.baseline, prices: config.models?.prices }));
      if (global.json) return printJson(report);
      process.stdout.write(renderCostReport(report));
    });
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function statsRow(label: string, stats: RunStats, format: (value: number) => string): string[] {
  return [label, format(stats.p50), format(stats.p95), format(stats.max), format(stats.mean), format(stats.total)];
}

function perRunTable(figures: RunCostFigures, heading = "PER RUN"): string {
  return renderTable([heading, "P50", "P95", "MAX", "MEAN", "TOTAL"], [statsRow("tokens", figures.tokens, count), statsRow("model cost", figures.costMicros, formatMoney)]);
}

function ratio(value: number | null): string {
  return value === null ? "-" : `×${value.toFixed(2)}`;
}

function renderCostReport(report: CostReport): string {
  const scope = `${report.workflow ? `workflow ${report.workflow}` : "all workflows"}${report.since === null ? "" : ` since ${formatTime(report.since)}`}`;
  const sections = [`${style.bold("model tokens and cost")} of ${count(report.perRun.runs)} finished ${report.perRun.runs === 1 ? "run" : "runs"}, ${scope} (prices as of ${report.pricesAsOf}; tools are in cadre spend)`];
  if (report.perRun.runs === 0) return `${sections[0]}\n\nNo finished runs to measure. Run the workflow first, or widen --since.\n`;
  sections.push(perRunTable(report.perRun));
  if (report.overrunMicros > 0) {
    sections.push(style.yellow(`note: model calls whose tokens cost more than the hold placed for them were charged the hold; ${formatMoney(report.overrunMicros)} more is recorded only in the audit log (gateway.settle overrunMicros). (their prompts were longer than estimated).`));
  }
  if (report.byWorkflow.length > 1) {
    sections.push(
      renderTable(
        ["WORKFLOW", "RUNS", "TOKENS P50", "P95", "MAX", "COST P50", "P95", "MAX", "TOTAL"],
        report.byWorkflow.map((row) => [row.workflow, row.runs, count(row.tokens.p50), count(row.tokens.p95), count(row.tokens.max), formatMoney(row.costMicros.p50), formatMoney(row.costMicros.p95), formatMoney(row.costMicros.max), formatMoney(row.costMicros.total)]),
      ),
    );
  }
  sections.push(
    renderTable(
      ["AGENT", "MODEL", "RUNS", "CALLS", "TOKENS IN / OUT", "TOKENS/RUN P50", "P95", "MAX", "COST/RUN P50", "P95", "MAX", "TOTAL"],
      report.byAgentModel.map((row) => [
        row.agent,
        row.model,
        row.runs,
        row.calls,
        `${count(row.inputTokens)} / ${count(row.outputTokens)}`,
        count(row.tokensPerRun.p50),
        count(row.tokensPerRun.p95),
        count(row.tokensPerRun.max),
        formatMoney(row.costPerRun.p50),
        formatMoney(row.costPerRun.p95),
        formatMoney(row.costPerRun.max),
        formatMoney(row.costMicros),
      ]),
    ),
  );
  if (report.projection) {
    const projection = report.projection;
    sections.push(`at ${count(projection.runsPerDay)} runs a day: ${count(projection.tokensPerDay)} tokens and ${formatMoney(projection.costPerDayMicros)} a day, ${formatMoney(projection.costPer30DaysMicros)} per 30 days`);
  }
  if (report.whatIf) {
    const whatIf = report.whatIf;
    const saved = whatIf.actualMicros === 0 ? "" : ` (${whatIf.savedMicros >= 0 ? "saves" : "costs"} ${formatMoney(Math.abs(whatIf.savedMicros))}, ${((Math.abs(whatIf.savedMicros) / whatIf.actualMicros) * 100).toFixed(1)}%${whatIf.savedMicros >= 0 ? "" : " more"})`;
    sections.push(
      [
        `what if ${Object.entries(whatIf.assignment).map(([agent, model]) => `${agent}=${model}`).join(", ")}: the same tokens`,
        renderTable(["AGENT", "MODEL", "→ MODEL", "COST", "WHAT-IF"], whatIf.rows.map((row) => [row.agent, row.model, row.toModel === row.model ? "(unchanged)" : row.toModel, formatMoney(row.costMicros), formatMoney(row.whatIfMicros)])),
        `total ${formatMoney(whatIf.actualMicros)} → ${formatMoney(whatIf.whatIfMicros)}${saved}; per run p50 ${formatMoney(whatIf.costPerRun.p50)}, p95 ${formatMoney(whatIf.costPerRun.p95)}, max ${formatMoney(whatIf.costPerRun.max)}`,
        ...(whatIf.projection ? [`at ${count(whatIf.projection.runsPerDay)} runs a day: ${formatMoney(whatIf.projection.costPerDayMicros)} a day, ${formatMoney(whatIf.projection.costPer30DaysMicros)} per 30 days`] : []),
      ].join("\n"),
    );
  }
  if (report.baseline) {
    const baseline = report.baseline;
    sections.push(
      [
        `against the baseline ${baseline.workflow} (${count(baseline.runs)} ${baseline.runs === 1 ? "run" : "runs"}): tokens per run ${ratio(baseline.tokensMultiplier)}, model cost per run ${ratio(baseline.costMultiplier)}`,
        perRunTable(baseline, "BASELINE"),
      ].join("\n"),
    );
  }
  return `${sections.join("\n\n")}\n`;
}
