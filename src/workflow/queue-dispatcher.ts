import type { EventBus } from "../engine/events.ts";
import { RunNotResumableError } from "../engine/engine-errors.ts";
import type { RunLease } from "../engine/run-lease.ts";
import { acquireLease, acquireLeaseWithinLimit, countPendingRuns, getRunRecord, listOrphanedRuns, releaseLease, type GrantCeiling, type RunRecord } from "../engine/run-records.ts";
import { CadreError, fromSerializedError } from "../errors.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { beforeCommit, type Db, type Store } from "../store/store.ts";
import type { JobQueue } from "../workers/job-queue.ts";
import { defaultQueue, type RunTicket, type TicketOutcome } from "../workers/run-ticket.ts";
import { Worker } from "../workers/worker.ts";
import type { Workflow } from "./define-workflow.ts";
import type { Dispatcher } from "./dispatcher.ts";
import { RunSuspended } from "./patterns/suspension.ts";
import { UnknownWorkflowError } from "./runtime-errors.ts";
import type { OwnedRun, RunHandle } from "./run-handle.ts";
import type { ChildRunRequest } from "./run-state.ts";
import { watchRun } from "./watch-run.ts";

/** What `runtime.serve` (and `cadre worker`) is told: which queues, how much at once, which labels. */
export interface ServeOptions {
  /** Cadre queues to take runs from (a workflow's `queue`; default ["default"]). */
  queues?: string[];
  /** Runs executed at once by this process, per queue (default 8). */
  concurrency?: number;
  /** Labels this worker advertises (`cadre workers` lists them). */
  labels?: Record<string, string>;
}

/** What the queue dispatcher needs of the runtime it serves. */
export interface QueueDispatcherOptions {
  store: Store;
  jobs: JobQueue;
  /** Executes the runs a worker takes, in this process. */
  local: Dispatcher;
  events: EventBus;
  /** The owner id written on the leases this process takes. */
  owner: string;
  leaseMs: number;
  /** How often a handle of a run executing elsewhere reads the store (ms). */
  watchMs: number;
  now(): number;
  closed(): boolean;
  /** The runtime's workflows, by name (undefined for a name this process does not know). */
  workflow(name: string): Workflow | undefined;
  /** The workflows a worker serves (their concurrency limits and placements). */
  workflows(): Iterable<Workflow>;
  /** Takes the run's lease here and executes it (RUN_LEASED if a live process holds it). */
  takeOver(run: RunRecord, workflow: Workflow, force: boolean, placed: { labels: Record<string, string> } | undefined): Promise<RunHandle>;
  /** Creates a run (pending, its ticket queued with it): how a child run starts. */
  start(workflow: Workflow, input: unknown, options: { runId: string; parent: { runId: string; stepKey: string }; budget?: number; principal: string; goal?: string; grantCeiling: GrantCeiling | null }): Promise<RunHandle>;
  /** An answer arrived for a run executing here: it looks again when it parks. */
  requestWake(runId: string): void;
  /** Shares circuit breakers through the store, refreshed every `ms` (a worker's breakers are everyone's). */
  shareGuards(ms: number): Promise<void>;
}

/**
 * `dispatch: "queue"`: runs are handed to worker processes as pg-boss tickets instead of
 * executing where they were started. A new run is created pending and unowned, its ticket
 * committed in the same transaction; whoever started it follows it through the store. A worker
 * (`serve`) takes tickets, takes the run's fenced lease and executes it through `local`.
 */
export class QueueDispatcher implements Dispatcher {
  readonly #options: QueueDispatcherOptions;
  /** Leases of the runs this process executes for its worker: a draining worker hands them back. */
  readonly #held = new Map<string, RunLease>();
  /** Start tickets waiting for their transaction's commit. */
  readonly #startsByTransaction = new WeakMap<Db, Array<{ ticket: RunTicket; workflow: Workflow }>>();

  constructor(options: QueueDispatcherOptions) {
    this.#options = options;
  }

  get jobs(): JobQueue {
    return this.#options.jobs;
  }

  dispatch(owned: OwnedRun): RunHandle {
    return this.#options.local.dispatch(owned);
  }

  running(runId: string): RunHandle | undefined {
    return this.#options.local.running(runId);
  }

  abort(runId: string, reason: unknown): Promise<void> {
    return this.#options.local.abort(runId, reason);
  }

  async close(): Promise<void> {
    await this.#options.local.close();
    await this.#options.jobs.stop({ graceful: false, timeoutMs: 1000 });
  }

  /** What the `run.start` audit record says of where a run was queued. */
  describe(workflow: Workflow): Record<string, unknown> {
    return { queue: workflow.queue ?? defaultQueue, ...(workflow.placement ? { placement: workflow.placement } : {}) };
  }

  /**
   * Queues a new run's start ticket inside the transaction that creates the run. The tickets of
   * one transaction (runs started together share a group commit) are inserted together just
   * before it commits: one statement and one fairness count per workflow, not per run.
   */
  queueStart(tx: Db, runId: string, workflow: Workflow): Promise<void> {
    const ticket: RunTicket = { runId, workflow: workflow.name, kind: "start" };
    const pending = this.#startsByTransaction.get(tx);
    if (pending) {
      pending.push({ ticket, workflow });
      return Promise.resolve();
    }
    const starts = [{ ticket, workflow }];
    this.#startsByTransaction.set(tx, starts);
    return beforeCommit(tx, async () => {
      this.#startsByTransaction.delete(tx);
      for (const [workflow, tickets] of byWorkflow(starts)) {
        // Fairness: new runs of a workflow with a backlog go behind new runs of workflows without
        // one (priority = minus its pending runs, counted up to 100), so a flood of one workflow's
        // runs never starves another's.
        await this.#enqueue(tickets, workflow, { tx, priority: -(await countPendingRuns(tx, workflow.name)) });
      }
    });
  }

  /** A run executed by whichever worker takes it: followed through the store. */
  watch(runId: string, sinceEpoch: number): RunHandle {
    const { store, events, watchMs, closed } = this.#options;
    return watchRun(store, runId, { sinceEpoch, events, pollMs: watchMs, closed });
  }

  /** Queues a resume ticket for the run and follows it. */
  async resume(run: RunRecord, workflow: Workflow, force: boolean): Promise<RunHandle> {
    await this.#enqueue([{ runId: run.id, workflow: workflow.name, kind: "resume", ...(force ? { force: true } : {}) }], workflow);
    return this.watch(run.id, run.leaseEpoch);
  }

  /** Queues a ticket for a run of a workflow this runtime knows (a resume after an answer; a deadline wake at `at`). */
  async queueFor(runId: string, kind: RunTicket["kind"], at?: number): Promise<void> {
    const run = await getRunRecord(this.#options.store.db, runId);
    const workflow = run && this.#options.workflow(run.workflow);
    if (!run || !workflow) return;
    await this.#enqueue([{ runId, workflow: run.workflow, kind }], workflow, at === undefined ? {} : { startAfter: at + 1 });
  }

  /**
   * Takes the run's lease for this worker: within the workflow's concurrency limit, exactly,
   * whatever the queue let through. Undefined when a live process holds it.
   */
  async acquire(run: RunRecord, workflow: Workflow, lease: { owner: string; now: number; leaseMs: number; force: boolean }): Promise<number | undefined> {
    const epoch = workflow.concurrency !== undefined ? await acquireLeaseWithinLimit(this.#options.store, run, { ...lease, limit: workflow.concurrency }) : await acquireLease(this.#options.store.db, run.id, lease);
    if (epoch === "full") throw new WorkflowAtCapacity(workflow.name);
    return epoch;
  }

  /** The run executes here now: a draining worker gives it back. */
  hold(runId: string, lease: RunLease): void {
    this.#held.set(runId, lease);
  }

  /**
   * A child run is a run of its own on any worker: the parent parks on it (freeing its worker
   * slot) and is woken when the child ends. A failed child fails the parent's step.
   */
  async child(parent: RunRecord, child: ChildRunRequest, existing: RunRecord | undefined, options: { workflow: Workflow; grantCeiling: GrantCeiling | null }): Promise<unknown> {
    if (!existing) {
      await this.#options.start(options.workflow, child.input, { runId: child.runId, parent: { runId: parent.id, stepKey: child.parentStepKey }, budget: child.budget, principal: parent.principal, goal: parent.goal ?? undefined, grantCeiling: options.grantCeiling });
      throw new RunSuspended(child.parentStepKey, `child run ${child.runId} was handed to a worker`);
    }
    if (existing.status === "completed" || existing.status === "partial") return existing.output;
    if (existing.status === "failed" || existing.status === "cancelled") throw fromSerializedError(existing.error ?? new RunNotResumableError({ runId: existing.id, status: existing.status }).toJSON());
    throw new RunSuspended(child.parentStepKey, `child run ${child.runId} is ${existing.status}`);
  }

  /** Makes this process a worker: it takes tickets of `options.queues` and executes their runs until drained. */
  async serve(options: ServeOptions = {}): Promise<Worker> {
    const { store, jobs, owner, leaseMs, now } = this.#options;
    const workflows = [...this.#options.workflows()];
    const labels = options.labels ?? {};
    const sweepMs = Math.max(250, Math.round(leaseMs / 3));
    const worker = new Worker({
      store,
      queue: jobs,
      id: owner,
      queues: options.queues ?? [defaultQueue],
      concurrency: options.concurrency ?? 8,
      workflowLimits: Object.fromEntries(workflows.filter((workflow) => workflow.concurrency !== undefined).map((workflow) => [workflow.name, workflow.concurrency!])),
      labels,
      placements: workflows.flatMap((workflow) => (workflow.placement ? [workflow.placement] : [])),
      execute: (ticket) => this.#take(ticket, labels),
      release: (runId) => this.#release(runId),
      sweep: () => this.#sweepOrphans(),
      sweepMs,
      now,
    });
    // A breaker one worker opens fails fast in every worker.
    await this.#options.shareGuards(sweepMs);
    await worker.start();
    return worker;
  }

  /** A worker executes one ticket: takes the run's lease (fenced) and runs it here, or says who holds it. */
  async #take(ticket: RunTicket, labels: Record<string, string>): Promise<TicketOutcome> {
    const { store, now, leaseMs } = this.#options;
    const run = await getRunRecord(store.db, ticket.runId);
    if (!run) return { kind: "done", status: "unknown" };
    const finished = run.status === "completed" || run.status === "partial" || run.status === "cancelled";
    // A failed run is retried only when someone asked (`cadre resume`), never by a stale ticket.
    if (finished || (run.status === "failed" && ticket.kind !== "resume")) return { kind: "done", status: run.status };
    const local = this.running(run.id);
    if (local) {
      if (run.leaseOwner === this.#options.owner) {
        this.#options.requestWake(run.id);
        return { kind: "done", status: "running" };
      }
      // Swept while it stalled here: it stops at its next write; then this ticket takes it over afresh.
      await local.result().catch(() => {});
      return this.#take(ticket, labels);
    }
    const workflow = this.#options.workflow(run.workflow);
    if (!workflow) throw new UnknownWorkflowError({ workflow: run.workflow, known: [...this.#options.workflows()].map(({ name }) => name) });
    let handle: RunHandle;
    try {
      handle = await this.#options.takeOver(run, workflow, Boolean(ticket.force), workflow.placement ? { labels } : undefined);
    } catch (error) {
      // Its workflow runs at its concurrency limit elsewhere: the ticket goes back for a moment.
      if (error instanceof WorkflowAtCapacity) return { kind: "leased", until: now() + 250 };
      if (!(CadreError.is(error) && error.code === "RUN_LEASED")) throw error;
      const current = await getRunRecord(store.db, run.id);
      return { kind: "leased", until: current?.leaseExpiresAt ?? now() + leaseMs };
    }
    try {
      return { kind: "done", status: (await handle.result()).status };
    } finally {
      this.#held.delete(run.id);
    }
  }

  /** A draining worker gives a run back: its lease freed (fenced: this process stops at its next write), a resume ticket queued. */
  async #release(runId: string): Promise<void> {
    const { store, now, owner } = this.#options;
    const lease = this.#held.get(runId);
    if (!lease) return;
    const run = await getRunRecord(store.db, runId);
    const workflow = run && this.#options.workflow(run.workflow);
    if (!run || !workflow) return;
    await store.transaction(async (tx) => {
      if (!(await releaseLease(tx, runId, { epoch: lease.epoch, now: now() }))) return;
      await appendAudit(tx, store.dialect, [{ kind: "run.release", at: now(), runId, workflow: run.workflow, principal: run.principal, data: { owner, epoch: lease.epoch, reason: "worker draining" } }]);
      await this.#enqueue([{ runId, workflow: run.workflow, kind: "resume" }], workflow, { tx });
    });
    // The renewal finds the new epoch: the lease is lost here, and the run's in-flight effects are aborted.
    await lease.renew();
  }

  /**
   * Runs whose owner stopped renewing their lease (killed, lost): each is freed, fenced (the
   * epoch grows, so a stalled owner that wakes up stops at its next write), audited, and handed
   * on with a resume ticket, in one transaction; of several workers sweeping at once one wins.
   */
  async #sweepOrphans(): Promise<void> {
    const { store, owner } = this.#options;
    const now = this.#options.now();
    for (const orphan of await listOrphanedRuns(store.db, { now, limit: 100 })) {
      const workflow = this.#options.workflow(orphan.workflow);
      if (!workflow) continue;
      await store.transaction(async (tx) => {
        if (!(await releaseLease(tx, orphan.id, { epoch: orphan.epoch, now, onlyExpired: true }))) return;
        const run = (await getRunRecord(tx, orphan.id))!;
        await appendAudit(tx, store.dialect, [{ kind: "run.release", at: now, runId: orphan.id, workflow: orphan.workflow, principal: run.principal, data: { owner: orphan.owner, epoch: orphan.epoch, reason: "lease expired", sweptBy: owner } }]);
        await this.#enqueue([{ runId: orphan.id, workflow: orphan.workflow, kind: "resume" }], workflow, { tx });
      });
    }
  }

  /** Queues tickets on their workflow's queue; a run already started (a resume, a wake) goes before new runs. */
  async #enqueue(tickets: RunTicket[], workflow: Workflow, options: { tx?: Db; startAfter?: number; priority?: number } = {}): Promise<void> {
    await this.#options.jobs.enqueueAll(tickets, { queue: workflow.queue ?? defaultQueue, priority: 1, group: workflow.name, placement: workflow.placement, ...options });
  }
}

function byWorkflow(starts: Array<{ ticket: RunTicket; workflow: Workflow }>): Map<Workflow, RunTicket[]> {
  const grouped = new Map<Workflow, RunTicket[]>();
  for (const { ticket, workflow } of starts) {
    const tickets = grouped.get(workflow) ?? [];
    tickets.push(ticket);
    grouped.set(workflow, tickets);
  }
  return grouped;
}

/** A worker found the run's workflow at its concurrency limit (not an error anyone sees: the ticket waits). */
class WorkflowAtCapacity extends Error {
  constructor(workflow: string) {
    super(`workflow "${workflow}" is at its concurrency limit`);
  }
}

/** The store's URL when it is a PostgreSQL one: pg-boss then opens its own pool (with LISTEN/NOTIFY). */
export function postgresLocation(store: string | object | undefined): string | undefined {
  const location = typeof store === "string" ? store : store === undefined ? process.env.CADRE_STORE : undefined;
  return location && /^postgres(ql)?:\/\//.test(location) ? location : undefined;
}
