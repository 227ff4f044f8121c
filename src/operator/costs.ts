import { listRunHeaders, type RunHeader } from "../engine/run-records.ts";
import { InputValidationError } from "../errors.ts";
import { settlementOverruns } from "../governance/audit-log.ts";
import { modelCharges, type ModelCharge } from "../governance/reports.ts";
import { costOf, priceFor } from "../models/pricing.ts";
import { pricesAsOf, type ModelPrice } from "../models/prices.ts";
import type { RunStatus } from "../store/schema.ts";
import { meanRatio, runStats, scaleUp, type RunStats } from "./cost-figures.ts";
import type { OperatorContext } from "./operator-context.ts";

export type { RunStats } from "./cost-figures.ts";

/** Runs that will spend nothing more: their cost is final. */
const finishedStatuses: readonly RunStatus[] = ["completed", "partial", "failed", "cancelled"];

export interface CostOptions {
  /** Only runs of this workflow (their child runs count towards them). */
  workflow?: string;
  /** Only runs started at or after this instant (epoch ms). */
  since?: number;
  /** Runs a day to project the cost of. */
  runsPerDay?: number;
  /** Agent → `provider:model-id` to reprice the same tokens under; `*` stands for every agent not named. */
  whatIf?: Record<string, string>;
  /** A workflow (typically a single agent doing the whole job) to compare tokens and cost per run with. */
  baseline?: string;
  /** Configured prices (`models.prices`), which win over the shipped table for what-if repricing. */
  prices?: Record<string, ModelPrice>;
}

/** Tokens (input + output) and model cost of a set of runs, per run. */
export interface RunCostFigures {
  runs: number;
  tokens: RunStats;
  costMicros: RunStats;
}

/** One agent's calls under one model: totals, and per run (over the runs in which it made calls). */
export interface AgentModelCost {
  agent: string;
  model: string;
  runs: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costMicros: number;
  tokensPerRun: RunStats;
  costPerRun: RunStats;
}

/** What a daily volume of runs costs at the mean per run measured, rounded up to whole units. */
export interface CostProjection {
  runsPerDay: number;
  tokensPerDay: number;
  costPerDayMicros: number;
  costPer30DaysMicros: number;
}

/** The same tokens priced under another model assignment. */
export interface WhatIfCost {
  assignment: Record<string, string>;
  rows: Array<{ agent: string; model: string; toModel: string; costMicros: number; whatIfMicros: number }>;
  actualMicros: number;
  whatIfMicros: number;
  /** actual − what-if: positive is a saving. */
  savedMicros: number;
  costPerRun: RunStats;
  projection: CostProjection | null;
}

/** The selected workflow against a baseline workflow: how many times the tokens and cost per run. */
export interface BaselineComparison extends RunCostFigures {
  workflow: string;
  /** Mean tokens per run of the selected workflow ÷ the baseline's. */
  tokensMultiplier: number | null;
  costMultiplier: number | null;
}

/** `cadre cost`: token economics from journaled runs. Money in integer micro-units; model charges only (tools are in `cadre spend`). */
export interface CostReport {
  workflow: string | null;
  since: number | null;
  /** The date of the shipped price table that what-if repricing used. */
  pricesAsOf: string;
  perRun: RunCostFigures;
  /**
   * Cost above what the ledger charged: a call whose tokens cost more than the hold placed for
   * it is charged the hold, and the rest is only in its audit record. Zero when every estimate held.
   */
  overrunMicros: number;
  byWorkflow: Array<RunCostFigures & { workflow: string }>;
  byAgentModel: AgentModelCost[];
  projection: CostProjection | null;
  whatIf: WhatIfCost | null;
  baseline: BaselineComparison | null;
}

/** A finished root run with the model charges of its whole tree, and what went over the holds. */
interface CostedRun {
  run: RunHeader;
  charges: ModelCharge[];
  overrunMicros: number;
}

/** Token economics: tokens and model cost per run, by agent and model, projected over a volume, repriced, against a baseline. */
export class CostOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  async report(options: CostOptions = {}): Promise<CostReport> {
    if (options.runsPerDay !== undefined && !(Number.isSafeInteger(options.runsPerDay) && options.runsPerDay > 0)) {
      throw new InputValidationError({ message: `A volume is a positive whole number of runs a day; got ${options.runsPerDay}.`, runsPerDay: options.runsPerDay });
    }
    if (options.baseline !== undefined && options.workflow === undefined) {
      throw new InputValidationError({ message: "A baseline is compared with one workflow: pass the workflow too (cadre cost --workflow <W> --baseline <B>).", baseline: options.baseline });
    }
    const all = await this.#costedRuns(options.since);
    const selected = all.filter((entry) => options.workflow === undefined || entry.run.workflow === options.workflow);
    const perRun = figures(selected);
    const workflows = [...new Set(selected.map((entry) => entry.run.workflow))].sort();
    return {
      workflow: options.workflow ?? null,
      since: options.since ?? null,
      pricesAsOf,
      perRun,
      overrunMicros: selected.reduce((sum, entry) => sum + entry.overrunMicros, 0),
      byWorkflow: workflows.map((workflow) => ({ workflow, ...figures(selected.filter((entry) => entry.run.workflow === workflow)) })),
      byAgentModel: byAgentModel(selected),
      projection: options.runsPerDay === undefined ? null : project(perRun, options.runsPerDay),
      whatIf: options.whatIf === undefined ? null : whatIf(selected, { ...options, whatIf: options.whatIf }),
      baseline: options.baseline === undefined ? null : baseline(all, perRun, options.baseline, options.since),
    };
  }

  /** Finished root runs since the instant, each with the model charges of its run tree. */
  async #costedRuns(since: number | undefined): Promise<CostedRun[]> {
    const db = this.#context.store.db;
    const headers = await listRunHeaders(db, { since });
    const byId = new Map(headers.map((run) => [run.id, run]));
    const rootOf = (run: RunHeader): RunHeader => {
      let current = run;
      while (current.parentRunId !== null && byId.has(current.parentRunId)) current = byId.get(current.parentRunId)!;
      return current;
    };
    const costed = new Map<string, CostedRun>();
    for (const run of headers) if (rootOf(run) === run && finishedStatuses.includes(run.status)) costed.set(run.id, { run, charges: [], overrunMicros: 0 });
    const entryOf = (runId: string | null) => {
      const run = runId === null ? undefined : byId.get(runId);
      return run ? costed.get(rootOf(run).id) : undefined;
    };
    for (const charge of await modelCharges(db, { since })) entryOf(charge.runId)?.charges.push(charge);
    for (const overrun of await settlementOverruns(db, { since })) {
      const entry = entryOf(overrun.runId);
      if (entry) entry.overrunMicros += overrun.overrunMicros;
    }
    return [...costed.values()];
  }
}

function tokensOf(charge: ModelCharge): number {
  return charge.inputTokens + charge.outputTokens;
}

function figures(runs: readonly CostedRun[], cost: (charge: ModelCharge) => number = (charge) => charge.amountMicros): RunCostFigures {
  return {
    runs: runs.length,
    tokens: runStats(runs.map((entry) => entry.charges.reduce((sum, charge) => sum + tokensOf(charge), 0))),
    costMicros: runStats(runs.map((entry) => entry.charges.reduce((sum, charge) => sum + cost(charge), 0))),
  };
}

function byAgentModel(runs: readonly CostedRun[]): AgentModelCost[] {
  const groups = new Map<string, { agent: string; model: string; perRun: Map<string, { tokens: number; cost: number }>; charges: ModelCharge[] }>();
  for (const { run, charges } of runs) {
    for (const charge of charges) {
      const agent = charge.agent ?? "-";
      const key = `${agent}\u0000${charge.model}`;
      const group = groups.get(key) ?? { agent, model: charge.model, perRun: new Map<string, { tokens: number; cost: number }>(), charges: [] as ModelCharge[] };
      const slot = group.perRun.get(run.id) ?? { tokens: 0, cost: 0 };
      slot.tokens += tokensOf(charge);
      slot.cost += charge.amountMicros;
      group.perRun.set(run.id, slot);
      group.charges.push(charge);
      groups.set(key, group);
    }
  }
  const sum = (charges: ModelCharge[], pick: (charge: ModelCharge) => number) => charges.reduce((total, charge) => total + pick(charge), 0);
  return [...groups.values()]
    .map((group) => ({
      agent: group.agent,
      model: group.model,
      runs: group.perRun.size,
      calls: group.charges.length,
      inputTokens: sum(group.charges, (charge) => charge.inputTokens),
      outputTokens: sum(group.charges, (charge) => charge.outputTokens),
      cachedInputTokens: sum(group.charges, (charge) => charge.cachedInputTokens),
      costMicros: sum(group.charges, (charge) => charge.amountMicros),
      tokensPerRun: runStats([...group.perRun.values()].map((slot) => slot.tokens)),
      costPerRun: runStats([...group.perRun.values()].map((slot) => slot.cost)),
    }))
    .sort((left, right) => right.costMicros - left.costMicros || left.agent.localeCompare(right.agent) || left.model.localeCompare(right.model));
}

function project(perRun: RunCostFigures, runsPerDay: number): CostProjection | null {
  if (perRun.runs === 0) return null;
  return {
    runsPerDay,
    tokensPerDay: scaleUp(perRun.tokens.total, runsPerDay, perRun.runs),
    costPerDayMicros: scaleUp(perRun.costMicros.total, runsPerDay, perRun.runs),
    costPer30DaysMicros: scaleUp(perRun.costMicros.total, runsPerDay * 30, perRun.runs),
  };
}

function whatIf(runs: readonly CostedRun[], options: CostOptions & { whatIf: Record<string, string> }): WhatIfCost {
  const assignment = options.whatIf;
  const agents = new Set(runs.flatMap((entry) => entry.charges.map((charge) => charge.agent ?? "-")));
  const unknown = Object.keys(assignment).filter((agent) => agent !== "*" && !agents.has(agent));
  if (unknown.length > 0) {
    throw new InputValidationError({
      message: `--what-if names ${unknown.map((agent) => `"${agent}"`).join(", ")}, which made no model calls in the selected runs.`,
      fix: `Name agents that did: ${[...agents].sort().join(", ") || "none"}.`,
      unknown,
      agents: [...agents].sort(),
    });
  }
  // Every target model must be priced before any figure is computed: an unknown one is refused, never counted as $0.
  const prices = new Map(Object.values(assignment).map((model) => [model, priceFor(model, options.prices)]));
  const targetOf = (charge: ModelCharge) => assignment[charge.agent ?? "-"] ?? assignment["*"];
  const repriced = (charge: ModelCharge) => {
    const target = targetOf(charge);
    return target === undefined ? charge.amountMicros : costOf(prices.get(target)!, { inputTokens: charge.inputTokens, outputTokens: charge.outputTokens, cachedInputTokens: charge.cachedInputTokens });
  };
  const rows = new Map<string, WhatIfCost["rows"][number]>();
  for (const charge of runs.flatMap((entry) => entry.charges)) {
    const agent = charge.agent ?? "-";
    const toModel = targetOf(charge) ?? charge.model;
    const key = `${agent}\u0000${charge.model}`;
    const row = rows.get(key) ?? { agent, model: charge.model, toModel, costMicros: 0, whatIfMicros: 0 };
    row.costMicros += charge.amountMicros;
    row.whatIfMicros += repriced(charge);
    rows.set(key, row);
  }
  const ordered = [...rows.values()].sort((left, right) => right.costMicros - left.costMicros || left.agent.localeCompare(right.agent));
  const actualMicros = ordered.reduce((sum, row) => sum + row.costMicros, 0);
  const whatIfMicros = ordered.reduce((sum, row) => sum + row.whatIfMicros, 0);
  const perRun = figures(runs, repriced);
  return {
    assignment,
    rows: ordered,
    actualMicros,
    whatIfMicros,
    savedMicros: actualMicros - whatIfMicros,
    costPerRun: perRun.costMicros,
    projection: options.runsPerDay === undefined ? null : project(perRun, options.runsPerDay),
  };
}

function baseline(all: readonly CostedRun[], selected: RunCostFigures, workflow: string, since: number | undefined): BaselineComparison {
  const runs = all.filter((entry) => entry.run.workflow === workflow);
  if (runs.length === 0) {
    throw new InputValidationError({
      message: `The baseline workflow "${workflow}" has no finished runs${since === undefined ? "" : ` since ${new Date(since).toISOString()}`} to compare with.`,
      fix: "Run it on the same inputs first, or widen --since.",
      baseline: workflow,
      since,
    });
  }
  const base = figures(runs);
  return {
    workflow,
    ...base,
    tokensMultiplier: meanRatio({ total: selected.tokens.total, runs: selected.runs }, { total: base.tokens.total, runs: base.runs }),
    costMultiplier: meanRatio({ total: selected.costMicros.total, runs: selected.runs }, { total: base.costMicros.total, runs: base.runs }),
  };
}
