import { UnknownRunError } from "../engine/engine-errors.ts";
import { waitingSteps, type JournalEntry } from "../engine/journal.ts";
import { forkIds, type ForkOrigin, getRunRecord, listRunSummaries, runTreeIds, runWorkflows, type RunRecord, type RunSummary } from "../engine/run-records.ts";
import { InputValidationError } from "../errors.ts";
import { spendReport } from "../governance/reports.ts";
import type { RunStatus } from "../store/schema.ts";
import type { OperatorContext } from "./operator-context.ts";
import { checkPageSize, type Page } from "./page.ts";
import { decodeRunCursor, encodeRunCursor } from "./run-cursor.ts";
import { loadRunTree, loadSteps, type RunTree } from "./run-tree.ts";

export const runStatuses: readonly RunStatus[] = ["pending", "running", "waiting", "completed", "partial", "failed", "cancelled"];

export { maxPageSize, type Page } from "./page.ts";

export interface RunListOptions {
  status?: RunStatus | RunStatus[];
  workflow?: string;
  /** A run id: only its child runs; null: only root runs. */
  parentRunId?: string | null;
  /** Page size (default 20, at most 1000). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** A run with its steps and the child runs it started: `cadre show --json`. */
export interface RunDetail {
  run: RunRecord;
  steps: JournalEntry[];
  children: Array<Pick<RunRecord, "id" | "workflow" | "status" | "parentStepKey">>;
  /** Runs forked from this one, oldest first (the run's own parent, if it is a fork, is `run.forkedFrom`). */
  forks: string[];
}

/** Where a run comes from and what was forked from it. */
export interface RunLineage {
  runId: string;
  /** The forks this run descends from, nearest first: each the run forked from and the step it was forked at. */
  ancestors: ForkOrigin[];
  /** The runs forked from this one, oldest first. */
  forks: Array<{ runId: string; stepKey: string; status: RunStatus; createdAt: number }>;
}

/** What a run cost, child runs included unless asked otherwise: every charge settled in the ledger, with model tokens. */
export interface RunCost {
  spentMicros: number;
  charges: number;
  inputTokens: number;
  outputTokens: number;
}

/** Something a parked run waits for: a person's decision or a published event. */
export type Wait = { kind: "approval"; runId: string; name: string } | { kind: "event"; runId: string; topic: string };

/** A run tree as `get` returns it: the child runs summarized, not expanded. */
export function toRunDetail({ run, steps, children, forks }: RunTree): RunDetail {
  return { run, steps, children: children.map(({ run: child }) => ({ id: child.id, workflow: child.workflow, status: child.status, parentStepKey: child.parentStepKey })), forks };
}

/** Reading runs: listings, one run with its steps and child runs, its cost, what it waits for. */
export class RunOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Runs newest first, a page at a time. */
  async list(options: RunListOptions = {}): Promise<Page<RunSummary>> {
    const limit = checkPageSize(options.limit ?? 20);
    const statuses = options.status === undefined ? [] : Array.isArray(options.status) ? options.status : [options.status];
    const unknown = statuses.find((status) => !runStatuses.includes(status));
    if (unknown !== undefined) throw new InputValidationError({ message: `A run status is one of ${runStatuses.join(", ")}; got "${unknown}".`, status: unknown });
    const after = options.cursor === undefined ? undefined : decodeRunCursor(options.cursor);
    const rows = await listRunSummaries(this.#context.store.db, { status: options.status, workflow: options.workflow, parentRunId: options.parentRunId, after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeRunCursor(last) : null };
  }

  /** One run with its steps (in tree order) and the child runs it started. */
  async get(runId: string): Promise<RunDetail> {
    return toRunDetail(await this.tree(runId));
  }

  /** The run, its steps and charges, and every child run below it, for drawing a step tree. */
  async tree(runId: string): Promise<RunTree> {
    const tree = await loadRunTree(this.#context.store, runId);
    if (!tree) throw new UnknownRunError({ runId });
    return tree;
  }

  /** The latest attempt of every step of the run, parents before the steps inside them. */
  async steps(runId: string): Promise<JournalEntry[]> {
    await this.#require(runId);
    return loadSteps(this.#context.store, runId);
  }

  /** What the run cost; its child runs (paid from its budget) count unless `includeChildRuns` is false. */
  async cost(runId: string, options: { includeChildRuns?: boolean } = {}): Promise<RunCost> {
    await this.#require(runId);
    const total: RunCost = { spentMicros: 0, charges: 0, inputTokens: 0, outputTokens: 0 };
    for (const row of await spendReport(this.#context.store.db, { by: "run", runId, includeChildRuns: options.includeChildRuns })) {
      total.spentMicros += row.spentMicros;
      total.charges += row.calls;
      total.inputTokens += row.inputTokens;
      total.outputTokens += row.outputTokens;
    }
    return total;
  }

  /** The run's lineage: the runs it was forked from (back to the original) and the runs forked from it. */
  async lineage(runId: string): Promise<RunLineage> {
    const db = this.#context.store.db;
    const run = await getRunRecord(db, runId);
    if (!run) throw new UnknownRunError({ runId });
    const ancestors: RunLineage["ancestors"] = [];
    const seen = new Set([runId]);
    for (let from = run.forkedFrom; from && !seen.has(from.runId); ) {
      ancestors.push(from);
      seen.add(from.runId);
      from = (await getRunRecord(db, from.runId))?.forkedFrom ?? null;
    }
    const forks: RunLineage["forks"] = [];
    for (const id of await forkIds(db, runId)) {
      const fork = await getRunRecord(db, id);
      if (fork) forks.push({ runId: fork.id, stepKey: fork.forkedFrom?.stepKey ?? "", status: fork.status, createdAt: fork.createdAt });
    }
    return { runId, ancestors, forks };
  }

  /** What a waiting run, or a child run it waits on, is waiting for. */
  async waits(runId: string): Promise<Wait[]> {
    await this.#require(runId);
    const db = this.#context.store.db;
    const steps = await waitingSteps(db, { types: ["approval", "event"], runIds: await runTreeIds(db, runId) });
    return steps.map((step) => (step.type === "approval" ? { kind: "approval", runId: step.runId, name: step.name.replace(/^approval:/, "") } : { kind: "event", runId: step.runId, topic: step.name.replace(/^wait:/, "") }));
  }

  async #require(runId: string): Promise<void> {
    if (!(await runWorkflows(this.#context.store.db, [runId])).has(runId)) throw new UnknownRunError({ runId });
  }
}
