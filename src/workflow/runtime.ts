import { hostname } from "node:os";
import type { Agent } from "../agent/define-agent.ts";
import { AbortedError, RunEndedError, RunLeasedError, RunNotResumableError, UnknownRunError } from "../engine/engine-errors.ts";
import { EventBus, type RuntimeEvent, type RuntimeEventName, type RuntimeEvents } from "../engine/events.ts";
import { generateId } from "../engine/ids.ts";
import { copySteps, Journal, type JournalEntry } from "../engine/journal.ts";
import { idempotencyKeyFor } from "../engine/ids.ts";
import type { Transaction } from "kysely";
import type { Database } from "../store/schema.ts";
import { planFork } from "./replay/fork-plan.ts";
import { replayRun, type ReplayReport } from "./replay/replay-run.ts";
import { RunLease } from "../engine/run-lease.ts";
import { acquireLease, getRunRecord, type ForkOrigin, type GrantCeiling, insertRun, listRunRecords, runTreeIds, type RunFilter, type RunRecord } from "../engine/run-records.ts";
import { AdaptiveTimeouts } from "../engine/adaptive-timeout.ts";
import { GuardRegistry } from "../engine/guards.ts";
import { CadreError, ConfigurationError, fromSerializedError, toCadreError } from "../errors.ts";
import { upsertInventory } from "../governance/inventory.ts";
import { recordActivePolicySet } from "../governance/policy-activation.ts";
import { PolicyEngine } from "../policy/policy-engine.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { openRunAccount, provisionWorkflowBudgets, recoverRun, refundRun } from "../governance/run-accounts.ts";
import { openStore } from "../store/open-store.ts";
import { KnowledgeBase } from "../knowledge/knowledge-base.ts";
import { defaultMemoryCollection } from "../knowledge/memory.ts";
import type { Store } from "../store/store.ts";
import type { Workflow } from "./define-workflow.ts";
import { InProcessDispatcher, type Dispatcher } from "./dispatcher.ts";
import { EventDelivery } from "./event-delivery.ts";
import { UnknownWorkflowError } from "./runtime-errors.ts";
import { withinCeiling } from "../governance/grants.ts";
import { PermissionDeniedError } from "../governance/governance-errors.ts";
import { RunSuspended } from "./patterns/suspension.ts";
import { appendEvent } from "./events.ts";
import { waitingRoot } from "./wake.ts";
import { bindModels } from "./model-bindings.ts";
import { parseInput } from "./validate.ts";
import { executeRun, type ExecutorServices } from "./run-executor.ts";
import { recordCancellation, RunCancellation, type CancelledRun } from "./run-cancel.ts";
import { settledHandle, type OwnedRun, type RunHandle } from "./run-handle.ts";
import type { ChildRunRequest } from "./run-state.ts";
import { WakeScheduler } from "./wake-scheduler.ts";
import { combineObservers, type RuntimeObserver } from "../engine/run-observer.ts";
import type { ExposedTarget } from "./exposure.ts";
import { resolveRuntimeOptions, type ResolvedRuntimeOptions, type RuntimeOptions } from "./runtime-options.ts";
import type { JobQueue } from "../workers/job-queue.ts";
import type { Worker } from "../workers/worker.ts";
import { branchWorkflowName, branchWorkflows } from "./distribution.ts";
import { postgresLocation, QueueDispatcher, type ServeOptions } from "./queue-dispatcher.ts";
import { mcpServersFor, openMcpServers } from "../interop/mcp/mcp-server.ts";

export type { RunHandle, RunResult } from "./run-handle.ts";
export type { CancelledRun } from "./run-cancel.ts";
export type { RuntimeOptions } from "./runtime-options.ts";
export type { ReplayReport } from "./replay/replay-run.ts";
export type { ServeOptions } from "./queue-dispatcher.ts";

export interface StartOptions {
  /** Set when a workflow starts a child workflow: the child's budget is carved from this run. */
  parent?: { runId: string; stepKey: string };
  /** The most the run may use, whatever its agents hold: set for child runs. */
  grantCeiling?: GrantCeiling | null;
  /** Micro-units moved from the workflow's account to this run (default: the workflow's budget.perRun, else 0). */
  budget?: number;
  goal?: string;
  principal?: string;
  runId?: string;
}

/** How to fork a run (`Runtime.fork`): where from, and what to change. */
export interface ForkOptions {
  /** The step (key like `3:scoring`, or position like `3`) the fork executes again from; the completed steps before it are copied. */
  from: string;
  /** The new run's input (default: the parent's). */
  input?: unknown;
  /** Outputs replacing those of copied steps, by step key: "what if agent A had answered X". */
  overrides?: Record<string, unknown>;
  /** Micro-units for the fork (default: the workflow's budget.perRun, as a new run). */
  budget?: number;
  goal?: string;
  principal?: string;
  runId?: string;
}

/**
 * Opens a store, registers agents and workflows, starts and resumes durable runs.
 * One runtime per process is typical; several may share a store.
 */
export class Runtime {
  readonly store: Store;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly workflows: ReadonlyMap<string, Workflow>;
  readonly principal: string;
  /** The version of the policy set every effect is decided by (read when the runtime opened), or undefined without policies. */
  readonly policyVersion: string | undefined;
  /** The workflows and agents offered outside the process (the `expose` option), resolved. */
  readonly exposed: readonly ExposedTarget[];
  /** Circuit breakers and bulkheads, shared by every run of this runtime. */
  readonly guards: GuardRegistry;
  /** Adaptive timeouts from the journaled p95 of each agent. */
  readonly timeouts: AdaptiveTimeouts;
  /** The store's knowledge collections and agent memory (what agents reach through knowledge.search and context.memory). */
  readonly knowledge: KnowledgeBase;
  readonly now: () => number;
  readonly #ownsStore: boolean;
  readonly #events = new EventBus();
  readonly #leaseMs: number;
  readonly #maxPayloadBytes: number;
  readonly #owner = `${hostname()}:${process.pid}:${generateId("rt").slice(-8)}`;
  readonly #generateId: (prefix: string) => string;
  readonly #executor: ExecutorServices;
  readonly #dispatcher: Dispatcher;
  /** Set with `dispatch: "queue"` (it is then `#dispatcher` too): runs are handed to worker processes. */
  readonly #queue: QueueDispatcher | undefined;
  readonly #wakes: WakeScheduler;
  readonly #resuming = new Map<string, Promise<RunHandle>>();
  readonly #delivery: EventDelivery;
  /** The one-step workflows of distributed agent calls (`branch-<agent>`), known beside `workflows`. */
  readonly #branches: ReadonlyMap<string, Workflow>;
  #closing = false;
  /** The MCP servers this runtime opened (their sessions are shared with other runtimes of the process). */
  #mcp: { close(): Promise<void> } | undefined;
  /** Set when this process became a worker (`serve`): the labels it advertises. */
  #labels: Record<string, string> | undefined;
  /** Runs launched so far: a run's number orders its writes before those of later runs. */
  #launched = 0;

  readonly #observer: RuntimeObserver | undefined;

  private constructor(store: Store, ownsStore: boolean, options: ResolvedRuntimeOptions, models: Awaited<ReturnType<typeof bindModels>>, observer: RuntimeObserver | undefined, jobs: JobQueue | undefined, policy: PolicyEngine | undefined) {
    this.store = store;
    this.#ownsStore = ownsStore;
    this.agents = indexByName(options.agents, "agent");
    this.workflows = indexByName(options.workflows, "workflow");
    this.#branches = branchWorkflows(this.agents.values(), this.workflows);
    this.principal = options.principal;
    this.policyVersion = policy?.version;
    this.exposed = options.exposed;
    this.now = options.now;
    this.#generateId = options.generateId;
    this.#leaseMs = options.leaseMs;
    this.#maxPayloadBytes = options.maxPayloadBytes;
    this.guards = new GuardRegistry({ store, owner: this.#owner, now: this.now });
    this.timeouts = new AdaptiveTimeouts(store, this.now);
    this.#observer = observer;
    this.knowledge = new KnowledgeBase({ store, models: options.models, now: this.now });
    this.#executor = {
      observer,
      store,
      events: this.#events,
      agents: this.agents,
      guards: this.guards,
      timeouts: this.timeouts,
      models,
      knowledge: this.knowledge,
      now: this.now,
      blockOverdueReviews: options.blockOverdueReviews,
      maxPayloadBytes: this.#maxPayloadBytes,
      audit: options.audit,
      policy,
      runChild: (parent, child) => this.#runChild(parent, child),
      deliver: (event) => this.#delivery.deliver(event),
      distributes: jobs !== undefined,
      labels: () => this.#labels,
      branchWorkflow: (agent) => this.#branches.get(branchWorkflowName(agent.name))!,
      cancelRuns: (parent, runIds, reason) => this.#cancelChildren(parent, runIds, reason),
    };
    this.#wakes = new WakeScheduler({
      store,
      now: this.now,
      resume: (runId) => this.resume(runId),
      wake: (runId) => this.wake(runId),
      // With workers, a parked run's answer or deadline is a ticket: any worker picks it up, even if this one is gone.
      handOff: jobs ? { resume: (runId) => this.#queue!.queueFor(runId, "resume"), wakeAt: (runId, at) => this.#queue!.queueFor(runId, "wake", at) } : undefined,
    });
    const local = new InProcessDispatcher({ execute: (owned, signal) => executeRun(this.#executor, owned, signal), settled: (owned, result) => this.#wakes.afterRun(owned, result), events: this.#events });
    this.#queue = jobs
      ? new QueueDispatcher({
          store,
          jobs,
          local,
          events: this.#events,
          owner: this.#owner,
          leaseMs: this.#leaseMs,
          watchMs: options.queue.watchMs ?? 100,
          now: this.now,
          closed: () => this.#closing,
          workflow: (name) => this.#known(name),
          workflows: () => [...this.workflows.values(), ...this.#branches.values()],
          takeOver: (run, workflow, force, placed) => this.#takeOver(run, workflow, force, placed),
          start: (workflow, input, startOptions) => this.start(workflow, input, startOptions),
          requestWake: (runId) => this.#wakes.requestWake(runId),
          shareGuards: (ms) => this.guards.share(ms),
        })
      : undefined;
    this.#dispatcher = this.#queue ?? local;
    this.#delivery = new EventDelivery({ store, knows: (name) => this.workflows.has(name), wake: (runId) => this.wake(runId), start: (workflow, input, runId) => this.start(workflow, input, { runId }) });
    for (const workflow of this.workflows.values()) for (const topic of workflow.subscribe ?? []) this.subscribe(topic, workflow);
  }

  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    const resolved = resolveRuntimeOptions(options);
    // Model-backed agents fail here, before anything opens, if a provider, key, tier or price is missing.
    const models = await bindModels(resolved.agents, resolved.models);
    const observer = await runtimeObserver(resolved);
    // An invalid policy set fails here too: nothing opens, nothing is recorded.
    const policy = resolved.policies ? await PolicyEngine.load(resolved.policies) : undefined;
    // MCP servers start (or connect) now and publish their tools' schemas: an agent naming a tool a server lacks fails here.
    const mcp = await openMcpServers(mcpServersFor(resolved.mcpServers, resolved.agents));
    const ownsStore = typeof options.store !== "object";
    let store: Store;
    try {
      store = typeof options.store === "object" ? options.store : await openStore(options.store);
    } catch (error) {
      await mcp.close();
      throw error;
    }
    let jobs: JobQueue | undefined;
    try {
      // Loaded only here: pg-boss is needed by deployments with workers, not by every command.
      if (resolved.dispatch === "queue") jobs = await (await import("../workers/job-queue.ts")).JobQueue.open(store, { connectionString: postgresLocation(options.store), tuning: resolved.queue });
    } catch (error) {
      await mcp.close();
      if (ownsStore) await store.close();
      throw error;
    }
    const runtime = new Runtime(store, ownsStore, resolved, models, observer, jobs, policy);
    runtime.#mcp = mcp;
    try {
      if (!resolved.provision) return runtime;
      await upsertInventory(store, { agents: [...runtime.agents.values()], now: runtime.now(), principal: runtime.principal });
      // Memory collections exist before any run: remembering never creates a collection mid-run.
      await runtime.knowledge.declare(resolved.knowledge, [...runtime.agents.values()].flatMap((agent) => (agent.memory ? [agent.memory.collection ?? defaultMemoryCollection] : [])));
      // The set read now holds until the runtime closes: a changed file takes effect when a runtime next opens.
      await recordActivePolicySet(store, { set: policy?.set ?? null, now: runtime.now(), principal: runtime.principal });
      await provisionWorkflowBudgets(store, [...runtime.workflows.values()], { now: runtime.now(), principal: runtime.principal });
    } catch (error) {
      await jobs?.stop({ graceful: false, timeoutMs: 1000 });
      await mcp.close();
      if (ownsStore) await store.close();
      throw error;
    }
    return runtime;
  }

  on<K extends RuntimeEventName>(name: K, listener: (event: RuntimeEvents[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  /** Every event of every run, tagged with its name (`event`): what a live feed of all runs (SSE) forwards. */
  onAny(listener: (event: RuntimeEvent) => void): () => void {
    return this.#events.onAny(listener);
  }

  workflow(name: string): Workflow {
    const workflow = this.#known(name);
    if (!workflow) throw new UnknownWorkflowError({ workflow: name, known: [...this.workflows.keys()] });
    return workflow;
  }

  /** Validates the input, creates the run (owned by this runtime) and dispatches it. */
  async start<I, O, In>(workflowOrName: Workflow<I, O, In> | string, input: In, options: StartOptions = {}): Promise<RunHandle<O>> {
    const workflow = typeof workflowOrName === "string" ? this.workflow(workflowOrName) : this.#registered(workflowOrName);
    return this.#launch(workflow, parseInput(workflow.input, input, `workflow "${workflow.name}"`), options) as Promise<RunHandle<O>>;
  }

  /**
   * Creates a run — its record, its account, its `run.start` audit and, for a fork, its seeded
   * journal, in one transaction — and dispatches it. A refusal (no money) is audited.
   */
  async #launch(workflow: Workflow, parsed: unknown, options: StartOptions, fork?: { from: ForkOrigin; seed(tx: Transaction<Database>, runId: string): Promise<Record<string, unknown>> }): Promise<RunHandle> {
    const runId = options.runId ?? this.#generateId("run");
    const now = this.now();
    const principal = options.principal ?? this.principal;
    const budget = options.budget ?? workflow.budget?.perRun ?? 0;
    const goal = options.goal ?? workflow.goal?.(parsed) ?? null;
    const parent = options.parent ?? null;
    // Handed to workers, a run is created pending and unowned; its ticket commits with it.
    const queue = this.#queue;
    try {
      // Group commit: runs started together (a burst of `start` calls, a server's requests) commit
      // together; one refused (a duplicate id, no money) is retried alone and fails alone.
      await this.store.write(async (tx) => {
        const lease = queue ? { leaseOwner: null, leaseExpiresAt: null, status: "pending" as const } : { leaseOwner: this.#owner, leaseExpiresAt: now + this.#leaseMs };
        await insertRun(tx, { id: runId, workflow: workflow.name, input: parsed, goal, principal, parentRunId: parent?.runId ?? null, parentStepKey: parent?.stepKey ?? null, grantCeiling: options.grantCeiling ?? null, createdAt: now, budget, placement: workflow.placement ?? null, ...lease, forkedFrom: fork?.from ?? null }, { maxPayloadBytes: this.#maxPayloadBytes });
        await openRunAccount(tx, { runId, workflow: workflow.name, perRun: budget, now, parentRunId: parent?.runId });
        const seeded = fork ? await fork.seed(tx, runId) : undefined;
        await appendAudit(tx, this.store.dialect, [
          { kind: "run.start", at: now, runId, workflow: workflow.name, principal, data: { budgetMicros: budget, goal, ...queue?.describe(workflow) } },
          ...(fork ? [{ kind: "run.fork", at: now, runId, workflow: workflow.name, principal, data: { forkedFromRunId: fork.from.runId, forkStepKey: fork.from.stepKey, ...seeded } }] : []),
        ]);
        await queue?.queueStart(tx, runId, workflow);
      });
    } catch (thrown) {
      const error = toCadreError(thrown);
      // The refusal is a decision: it is audited even though no run was created.
      await this.store.transaction((tx) =>
        appendAudit(tx, this.store.dialect, [{ kind: "run.refused", at: now, workflow: workflow.name, principal, data: { code: error.code, reason: error.message, budgetMicros: budget, ...(fork ? { forkedFromRunId: fork.from.runId, forkStepKey: fork.from.stepKey } : {}) } }]),
      );
      throw error;
    }
    if (queue) return queue.watch(runId, 1);
    const run = (await getRunRecord(this.store.db, runId))!;
    return this.#dispatcher.dispatch(await this.#owned(run, workflow, run.leaseEpoch, false, fork !== undefined));
  }

  /**
   * Re-executes a run's workflow against its journal with no effects at all (no tool, model,
   * HTTP or child run; nothing charged): agents' code runs again over their journaled tool and
   * model calls. Reports the step tree as today's code sees it and the first place where the
   * code diverges from the journal. Writes one audit record (`run.replay`) and nothing else.
   */
  async replay(runId: string): Promise<ReplayReport> {
    // Outcomes are written behind: what this process already knows is on disk before it is read.
    await this.store.flush();
    const run = await getRunRecord(this.store.db, runId);
    if (!run) throw new UnknownRunError({ runId });
    return replayRun({ ...this.#executor, principal: this.principal }, run, this.workflow(run.workflow));
  }

  /**
   * Starts a new run of a run's workflow whose journal holds copies of the run's completed
   * steps before `options.from` (not executed, not charged; `overrides` replace some of their
   * outputs), and executes the rest for real, through the gateway, under its own budget and
   * the parent's grant ceiling. The new run records its lineage; the parent is not touched.
   */
  async fork(runId: string, options: ForkOptions): Promise<RunHandle> {
    await this.store.flush();
    const parent = await getRunRecord(this.store.db, runId);
    if (!parent) throw new UnknownRunError({ runId });
    const workflow = this.workflow(parent.workflow);
    const entries = (await Journal.load(this.store, runId)).inJournalOrder();
    const plan = planFork({ runId, entries, from: options.from, overrides: options.overrides ?? {}, agents: this.agents });
    const parsed = parseInput(workflow.input, options.input === undefined ? parent.input : options.input, `workflow "${workflow.name}"`);
    const launch = { runId: options.runId, budget: options.budget, goal: options.goal ?? (options.input === undefined ? parent.goal ?? undefined : undefined), principal: options.principal, grantCeiling: parent.grantCeiling };
    return this.#launch(workflow, parsed, launch, {
      from: { runId, stepKey: plan.from.key, overridden: [...plan.outputs.keys()] },
      seed: async (tx, forkId) => {
        await copySteps(tx, { fromRunId: runId, toRunId: forkId, keys: plan.copied, outputs: plan.outputs, idempotencyKey: (key) => idempotencyKeyFor(forkId, key), maxPayloadBytes: this.#maxPayloadBytes });
        return { copiedSteps: plan.copied.length, overridden: [...plan.outputs.keys()], inputChanged: options.input !== undefined };
      },
    });
  }

  /**
   * Re-executes a run from the top: completed steps return their journaled output, the rest
   * run (an interrupted step again, with the same idempotency key). A finished run just
   * reports its result. Without `force` a live lease is never taken (RUN_LEASED); with it the
   * run is taken over now, and a process still executing it stops at its next write.
   * `principal` names who resumed it in the audit record (default: the run's own principal).
   */
  async resume(runId: string, options: { force?: boolean; principal?: string } = {}): Promise<RunHandle> {
    // Two resumes of one run in this process (an approval's wake racing the parked run's own
    // settle) share one take-over: the later one gets the earlier one's handle, not RUN_LEASED.
    // A forced resume takes the run over whatever is in flight.
    const inFlight = options.force ? undefined : this.#resuming.get(runId);
    if (inFlight) return inFlight;
    const resuming = this.#resumeOnce(runId, options).finally(() => {
      if (this.#resuming.get(runId) === resuming) this.#resuming.delete(runId);
    });
    this.#resuming.set(runId, resuming);
    return resuming;
  }

  async #resumeOnce(runId: string, options: { force?: boolean; principal?: string }): Promise<RunHandle> {
    const run = await getRunRecord(this.store.db, runId);
    if (!run) throw new UnknownRunError({ runId });
    if (run.status === "completed" || run.status === "partial") return settledHandle({ runId, status: run.status, output: run.output });
    if (run.status === "cancelled") throw new RunNotResumableError({ runId, status: run.status });
    const running = this.#dispatcher.running(runId);
    if (running) return running;
    const workflow = this.workflow(run.workflow);
    if (this.#queue) return this.#queue.resume(run, workflow, Boolean(options.force));
    return this.#takeOver(run, workflow, Boolean(options.force), undefined, options.principal);
  }

  /** Takes the run's lease here (RUN_LEASED if a live process holds it and not `force`) and executes it. */
  async #takeOver(run: RunRecord, workflow: Workflow, force: boolean, placed?: { labels: Record<string, string> }, principal?: string): Promise<RunHandle> {
    const runId = run.id;
    const lease = { owner: this.#owner, now: this.now(), leaseMs: this.#leaseMs, force };
    const epoch = this.#queue ? await this.#queue.acquire(run, workflow, lease) : await acquireLease(this.store.db, runId, lease);
    if (epoch === undefined) {
      const current = (await getRunRecord(this.store.db, runId))!;
      throw new RunLeasedError({ runId, owner: current.leaseOwner ?? "unknown", expiresAt: current.leaseExpiresAt ?? 0 });
    }
    // A queued run no process has executed yet starts from an empty journal.
    // A queued fork starts with the steps copied from its parent already in its journal.
    const owned = await this.#owned({ ...run, status: "running" }, workflow, epoch, run.status !== "pending", run.forkedFrom !== null);
    this.#queue?.hold(runId, owned.lease);
    // The placement decision: which worker, with which labels, took a run that had to run there.
    if (placed) await owned.lease.transaction((tx) => appendAudit(tx, this.store.dialect, [{ kind: "run.placed", at: this.now(), runId, workflow: workflow.name, principal: run.principal, data: { placement: workflow.placement, worker: this.#owner, labels: placed.labels, epoch } }]));
    if (run.status === "pending") return this.#dispatcher.dispatch(owned);
    const options = { force, principal };
    // Fenced too: of two processes forcing a take-over at once, only the later epoch recovers and runs.
    await owned.lease.transaction(async (tx) => {
      const recovered = await recoverRun(tx, { runId, now: this.now() });
      const refundedMicros = await refundRun(tx, { runId, workflow: run.workflow, parentRunId: run.parentRunId, budget: run.budget, now: this.now() });
      await appendAudit(tx, this.store.dialect, [{ kind: "run.resume", at: this.now(), runId, workflow: run.workflow, principal: options.principal ?? run.principal, data: { ...recovered, refundedMicros, budgetMicros: run.budget, forced: Boolean(options.force), epoch, previousOwner: run.leaseOwner } }]);
    });
    return this.#dispatcher.dispatch(owned);
  }

  /**
   * Publishes an event: it is appended to the durable log, runs parked waiting for its topic
   * resume, and workflows subscribed to the topic start with the event's data as input.
   * Returns the handles of the runs it resumed or started.
   */
  async publish(topic: string, data: unknown): Promise<RunHandle[]> {
    let seq = 0;
    await this.store.write(async (tx) => void (seq = await appendEvent(tx, { topic, data, now: this.now() })));
    return this.#delivery.deliver({ topic, data, seq });
  }

  /**
   * Resumes a run that waits for something (or the outermost run waiting on it: a child's
   * wait parks its parents). Use it after recording a decision with `decideApproval`.
   * Returns undefined when the run is being executed elsewhere: it then picks the answer up itself.
   */
  async wake(runId: string): Promise<RunHandle | undefined> {
    const target = await waitingRoot(this.store.db, runId);
    const running = this.#dispatcher.running(target);
    if (running) {
      this.#wakes.requestWake(target);
      return running;
    }
    try {
      return await this.resume(target);
    } catch (error) {
      // Another process holds the run, or took it over while this one was taking it: it checks for
      // answers when it parks. (Resumes racing inside this process share one take-over: see resume.)
      if (CadreError.is(error) && (error.code === "RUN_LEASED" || error.code === "RUN_LEASE_LOST")) return undefined;
      throw error;
    }
  }

  /**
   * Makes this process a worker (needs `dispatch: "queue"`): it takes runs from the queues and
   * executes them until `worker.drain(deadlineMs)`. `cadre worker` is this with a config.
   */
  async serve(options: ServeOptions = {}): Promise<Worker> {
    if (!this.#queue) throw new ConfigurationError({ message: `runtime.serve() executes runs handed to workers: open the runtime with dispatch: "queue" (and a PostgreSQL store).`, field: "dispatch" });
    this.#labels = options.labels ?? {};
    return this.#queue.serve(options);
  }

  /**
   * Cancels a run and every unfinished child run below it: those executing here are aborted
   * (their in-flight steps stop and settle), those executing elsewhere are taken over (that
   * process stops at its next write), then each, deepest first, releases its holds, ends its
   * waits, returns its unspent budget and is audited as `run.cancelled` by `principal`.
   * A cancelled run is never resumed. RUN_ENDED for a run that completed; a cancelled run is returned as is.
   */
  async cancel(runId: string, options: { principal?: string; reason?: string } = {}): Promise<{ runId: string; status: "cancelled"; cancelled: CancelledRun[] }> {
    const run = await getRunRecord(this.store.db, runId);
    if (!run) throw new UnknownRunError({ runId });
    if (run.status === "completed" || run.status === "partial") throw new RunEndedError({ runId, status: run.status });
    const cancellation = new RunCancellation({ by: options.principal ?? this.principal, reason: options.reason });
    const tree = await runTreeIds(this.store.db, runId);
    await Promise.all(tree.map((id) => this.#dispatcher.abort(id, cancellation)));
    const cancelled: CancelledRun[] = [];
    // Deepest first: a child returns its money to its parent before the parent returns it to the workflow.
    for (const id of tree.reverse()) {
      const current = await getRunRecord(this.store.db, id);
      if (!current || ["completed", "partial", "cancelled"].includes(current.status)) continue;
      const epoch = (await acquireLease(this.store.db, id, { owner: this.#owner, now: this.now(), leaseMs: this.#leaseMs, force: true }))!;
      const lease = new RunLease(this.store, { runId: id, epoch }, { leaseMs: this.#leaseMs, now: this.now, order: (this.#launched += 1) });
      cancelled.push(await recordCancellation(this.store, lease, current, cancellation, this.now()));
      this.#events.emit("run-end", { runId: id, workflow: current.workflow, status: "cancelled", error: new AbortedError({ message: cancellation.message, runId: id }).toJSON(), durationMs: 0 });
    }
    return { runId, status: "cancelled", cancelled };
  }

  /** Starts a run of `workflow` for every event published on `topic` through this runtime. */
  subscribe(topic: string, workflow: Workflow | string): () => void {
    return this.#delivery.subscribe(topic, typeof workflow === "string" ? this.workflow(workflow) : this.#registered(workflow));
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return getRunRecord(this.store.db, runId);
  }

  listRuns(filter?: RunFilter): Promise<RunRecord[]> {
    return listRunRecords(this.store.db, filter);
  }

  async getSteps(runId: string): Promise<JournalEntry[]> {
    // Outcomes are written behind: what this process already knows is on disk before it is read.
    await this.store.flush();
    return (await Journal.load(this.store, runId)).entries();
  }

  /** Cancels the runs this runtime is executing, waits for them to settle and closes the store it opened. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#wakes.close();
    this.guards.close();
    await this.#dispatcher.close();
    // After the runs settled: no call is in flight when a stdio server is stopped.
    await this.#mcp?.close();
    // Spans and metrics of the runs just ended leave before the process may exit; an unreachable collector is not the runs' failure.
    await this.#observer?.flush().catch(() => {});
    if (this.#ownsStore) await this.store.close();
  }

  /** Starts (or, on a resumed parent, resumes) a child run and waits for it; its waiting parks the parent too. */
  async #runChild(parent: RunRecord, child: ChildRunRequest): Promise<unknown> {
    const existing = await getRunRecord(this.store.db, child.runId);
    const workflow = this.#registered(child.workflow);
    // A child inherits its parent's ceiling, and may be given a narrower one, never a wider one.
    for (const grant of child.grants ?? []) {
      if (!withinCeiling(parent.grantCeiling, grant)) {
        throw new PermissionDeniedError({ agent: `workflow:${workflow.name}`, scope: grant.scope, resource: grant.resource ?? "*", reason: "a child run cannot be given grants its parent run does not have", runId: parent.id, stepKey: child.parentStepKey });
      }
    }
    const grantCeiling = child.grants ?? parent.grantCeiling;
    if (this.#queue) return this.#queue.child(parent, child, existing, { workflow, grantCeiling });
    const handle = existing
      ? await this.resume(child.runId, { force: true })
      : await this.start(workflow, child.input, { runId: child.runId, parent: { runId: parent.id, stepKey: child.parentStepKey }, budget: child.budget, principal: parent.principal, goal: parent.goal ?? undefined, grantCeiling });
    const result = await handle.result();
    if (result.status === "completed" || result.status === "partial") return result.output;
    if (result.status === "waiting") throw new RunSuspended(child.parentStepKey, `child run ${child.runId} is waiting`);
    if (result.status === "cancelled") throw new AbortedError({ message: `Child run ${child.runId} was cancelled.`, runId: child.runId });
    throw fromSerializedError(result.error!);
  }

  /** A workflow of this runtime, or the branch workflow of one of its agents. */
  #known(name: string): Workflow | undefined {
    return this.workflows.get(name) ?? this.#branches.get(name);
  }

  /** A doomed distributed join cancels its branches still in flight; one that ended meanwhile is left as it ended. */
  async #cancelChildren(parent: RunRecord, runIds: string[], reason: string): Promise<void> {
    for (const runId of runIds) {
      try {
        await this.cancel(runId, { principal: parent.principal, reason });
      } catch (error) {
        if (!(CadreError.is(error) && error.code === "RUN_ENDED")) throw error;
      }
    }
  }

  #registered(workflow: Workflow): Workflow {
    const registered = this.#known(workflow.name);
    if (!registered) throw new UnknownWorkflowError({ workflow: workflow.name, known: [...this.workflows.keys()] });
    return registered;
  }

  /** The run as this runtime owns it: its fenced lease (ordered by launch) and its journal writing through it. */
  async #owned(run: RunRecord, workflow: Workflow, epoch: number, resumed: boolean, seeded = false): Promise<OwnedRun> {
    this.#launched += 1;
    const lease = new RunLease(this.store, { runId: run.id, epoch }, { leaseMs: this.#leaseMs, now: this.now, order: this.#launched });
    const options = { lease, maxPayloadBytes: this.#maxPayloadBytes };
    // A fork starts with the steps copied from its parent already in its journal.
    return { run, workflow, lease, resumed, journal: resumed || seeded ? await Journal.load(this.store, run.id, options) : Journal.empty(this.store, run.id, options) };
  }
}

/** The configured observers and, when telemetry is on, OpenTelemetry's (loaded only then), as one. */
async function runtimeObserver(options: ResolvedRuntimeOptions): Promise<RuntimeObserver | undefined> {
  const observers = [...options.observers];
  if (options.telemetry) observers.push(await (await import("../telemetry/open-telemetry.ts")).openTelemetry(options.telemetry));
  return combineObservers(observers);
}

function indexByName<T extends { name: string }>(items: T[], kind: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (map.has(item.name) && map.get(item.name) !== item) throw new ConfigurationError({ message: `Two ${kind}s are named "${item.name}"; names must be unique.` });
    map.set(item.name, item);
  }
  return map;
}
