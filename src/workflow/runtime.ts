import { hostname } from "node:os";
import type { Agent } from "../agent/define-agent.ts";
import { RunLeasedError, RunNotResumableError, UnknownRunError } from "../engine/engine-errors.ts";
import { EventBus, type RuntimeEventName, type RuntimeEvents } from "../engine/events.ts";
import { generateId } from "../engine/ids.ts";
import { Journal, type JournalEntry } from "../engine/journal.ts";
import { RunLease } from "../engine/run-lease.ts";
import { acquireLease, finishRun, getRunRecord, insertRun, listRunRecords, type GrantCeiling, type RunFilter, type RunRecord } from "../engine/run-records.ts";
import { Scope } from "../engine/scope.ts";
import { AdaptiveTimeouts } from "../engine/adaptive-timeout.ts";
import { GuardRegistry } from "../engine/guards.ts";
import { CadreError, ConfigurationError, fromSerializedError, toCadreError, type SerializedError } from "../errors.ts";
import { Gateway } from "../governance/gateway.ts";
import { upsertInventory } from "../governance/inventory.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { checkpointAudit } from "../governance/audit-checkpoints.ts";
import type { AuditSigningOptions } from "../governance/audit-signing-key.ts";
import { closeRunAccount, openRunAccount, provisionWorkflowBudgets, recoverRun, refundRun } from "../governance/run-accounts.ts";
import { openStore } from "../store/open-store.ts";
import { defaultMaxPayloadBytes, encodePayload } from "../store/payloads.ts";
import type { RunStatus } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { DurableContext, type RunState } from "./context.ts";
import type { Workflow } from "./define-workflow.ts";
import { createLogger } from "./logger.ts";
import { UnknownWorkflowError } from "./runtime-errors.ts";
import { grantCovers, type GrantSpec } from "../governance/grants.ts";
import { PermissionDeniedError } from "../governance/governance-errors.ts";
import { RunSuspended } from "./patterns/suspension.ts";
import { appendEvent, runsWaitingFor, subscriberRunId, type PublishedEvent } from "./events.ts";
import { answeredWhileParked, earliestDeadline, waitingRoot } from "./wake.ts";
import { bindModels, type AgentModelBinding } from "./model-bindings.ts";
import type { ModelConfig } from "../models/model-registry.ts";
import { parseInput, parseOutput } from "./validate.ts";

export interface RuntimeOptions {
  /** A store, or its location (SQLite path or postgres:// URL). Default: CADRE_STORE or .cadre/cadre.db. */
  store?: Store | string;
  agents?: Agent[];
  workflows?: Workflow[];
  /** Who runs act for, recorded on every run and audit record (default: the OS user). */
  principal?: string;
  /** How long a run's lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Injectable clock for tests. */
  now?: () => number;
  /** Refuse calls to high-risk agents whose review is overdue (default false: warn in `cadre agents`). */
  blockOverdueReviews?: boolean;
  /** Providers, tiers and prices for model-backed agents. */
  models?: ModelConfig;
  /** The largest JSON value a run may journal: its input and output, each step's input and output (default 8 MiB). */
  maxPayloadBytes?: number;
  /** Sign an audit checkpoint at every run end with this key (or CADRE_AUDIT_KEY); nothing is signed without a key. */
  audit?: AuditSigningOptions;
}

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

/** The final state of a run; a failed run is reported here, not thrown. */
export interface RunResult<O = unknown> {
  runId: string;
  status: RunStatus;
  output?: O;
  error?: SerializedError;
}

export interface RunHandle<O = unknown> {
  runId: string;
  /** Resolves when the run completes, fails or parks waiting for a human. */
  result(): Promise<RunResult<O>>;
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
  readonly #ownsStore: boolean;
  readonly #events = new EventBus();
  readonly #leaseMs: number;
  readonly #maxPayloadBytes: number;
  readonly #blockOverdueReviews: boolean;
  readonly #audit: AuditSigningOptions;
  readonly #models: Map<string, AgentModelBinding>;
  readonly #subscriptions = new Map<string, Set<Workflow>>();
  readonly #owner = `${hostname()}:${process.pid}:${generateId("rt").slice(-8)}`;
  readonly #active = new Map<string, { controller: AbortController; done: Promise<RunResult> }>();
  /** Runs that were woken while this runtime was still executing them: resumed again once they park. */
  readonly #wakeRequested = new Set<string>();
  /** Parked runs with a deadline: woken when it passes, while this runtime is open. */
  readonly #deadlineTimers = new Map<string, NodeJS.Timeout>();
  #closing = false;
  /** Runs launched so far: a run's number orders its writes before those of later runs. */
  #launched = 0;
  /** Circuit breakers and bulkheads, shared by every run of this runtime. */
  readonly guards: GuardRegistry;
  /** Adaptive timeouts from the journaled p95 of each agent. */
  readonly timeouts: AdaptiveTimeouts;
  readonly now: () => number;

  private constructor(store: Store, ownsStore: boolean, options: RuntimeOptions, models: Map<string, AgentModelBinding>) {
    this.store = store;
    this.#ownsStore = ownsStore;
    this.agents = indexByName(options.agents ?? [], "agent");
    this.workflows = indexByName(options.workflows ?? [], "workflow");
    this.principal = options.principal ?? process.env.CADRE_PRINCIPAL ?? process.env.USER ?? "unknown";
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? defaultMaxPayloadBytes;
    this.#blockOverdueReviews = options.blockOverdueReviews ?? false;
    this.#audit = options.audit ?? {};
    this.#models = models;
    this.now = options.now ?? Date.now;
    this.guards = new GuardRegistry({ store, owner: this.#owner, now: this.now });
    this.timeouts = new AdaptiveTimeouts(store, this.now);
    for (const workflow of this.workflows.values()) for (const topic of workflow.subscribe ?? []) this.subscribe(topic, workflow);
  }

  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    // Model-backed agents fail here, before anything opens, if a provider, key, tier or price is missing.
    const models = await bindModels(options.agents ?? [], options.models);
    const ownsStore = typeof options.store !== "object";
    const store = typeof options.store === "object" ? options.store : await openStore(options.store);
    const runtime = new Runtime(store, ownsStore, options, models);
    try {
      await upsertInventory(store, { agents: [...runtime.agents.values()], now: runtime.now(), principal: runtime.principal });
      await provisionWorkflowBudgets(store, [...runtime.workflows.values()], { now: runtime.now(), principal: runtime.principal });
    } catch (error) {
      if (ownsStore) await store.close();
      throw error;
    }
    return runtime;
  }

  on<K extends RuntimeEventName>(name: K, listener: (event: RuntimeEvents[K]) => void): () => void {
    return this.#events.on(name, listener);
  }

  workflow(name: string): Workflow {
    const workflow = this.workflows.get(name);
    if (!workflow) throw new UnknownWorkflowError(name, [...this.workflows.keys()]);
    return workflow;
  }

  /** Validates the input, creates the run and starts executing it in the background. */
  async start<I, O, In>(workflowOrName: Workflow<I, O, In> | string, input: In, options: StartOptions = {}): Promise<RunHandle<O>> {
    const workflow = typeof workflowOrName === "string" ? this.workflow(workflowOrName) : this.#registered(workflowOrName);
    const parsed = parseInput(workflow.input, input, `workflow "${workflow.name}"`);
    const runId = options.runId ?? generateId("run");
    const now = this.now();
    const principal = options.principal ?? this.principal;
    const budget = options.budget ?? workflow.budget?.perRun ?? 0;
    const goal = options.goal ?? workflow.goal?.(parsed) ?? null;
    const parent = options.parent ?? null;
    try {
      await this.store.transaction(async (tx) => {
        await insertRun(tx, { id: runId, workflow: workflow.name, input: parsed, goal, principal, parentRunId: parent?.runId ?? null, parentStepKey: parent?.stepKey ?? null, grantCeiling: options.grantCeiling ?? null, createdAt: now, leaseOwner: this.#owner, leaseExpiresAt: now + this.#leaseMs, budget }, { maxPayloadBytes: this.#maxPayloadBytes });
        await openRunAccount(tx, { runId, workflow: workflow.name, perRun: budget, now, parentRunId: parent?.runId });
        await appendAudit(tx, this.store.dialect, [{ kind: "run.start", at: now, runId, workflow: workflow.name, principal, data: { budgetMicros: budget, goal } }]);
      });
    } catch (thrown) {
      const error = toCadreError(thrown);
      // The refusal is a decision: it is audited even though no run was created.
      await this.store.transaction((tx) =>
        appendAudit(tx, this.store.dialect, [{ kind: "run.refused", at: now, workflow: workflow.name, principal, data: { code: error.code, reason: error.message, budgetMicros: budget } }]),
      );
      throw error;
    }
    const run = (await getRunRecord(this.store.db, runId))!;
    const lease = this.#lease(runId, run.leaseEpoch);
    return this.#launch(run, workflow, Journal.empty(this.store, runId, { lease, maxPayloadBytes: this.#maxPayloadBytes }), lease, false) as RunHandle<O>;
  }

  /**
   * Re-executes a run from the top: completed steps return their journaled output, the rest
   * run (an interrupted step again, with the same idempotency key). A finished run just
   * reports its result.
   */
  async resume(runId: string, options: { force?: boolean } = {}): Promise<RunHandle> {
    const run = await getRunRecord(this.store.db, runId);
    if (!run) throw new UnknownRunError(runId);
    if (run.status === "completed" || run.status === "partial") {
      const result: RunResult = { runId, status: run.status, output: run.output };
      return { runId, result: async () => result };
    }
    if (run.status === "cancelled") throw new RunNotResumableError({ runId, status: run.status });
    const active = this.#active.get(runId);
    if (active) return { runId, result: () => active.done };
    const workflow = this.workflow(run.workflow);
    const epoch = await acquireLease(this.store.db, runId, { owner: this.#owner, now: this.now(), leaseMs: this.#leaseMs, force: options.force });
    if (epoch === undefined) {
      const current = (await getRunRecord(this.store.db, runId))!;
      throw new RunLeasedError({ runId, owner: current.leaseOwner ?? "unknown", expiresAt: current.leaseExpiresAt ?? 0 });
    }
    const lease = this.#lease(runId, epoch);
    // Fenced too: of two processes forcing a take-over at once, only the later epoch recovers and runs.
    await lease.transaction(async (tx) => {
      const recovered = await recoverRun(tx, { runId, now: this.now() });
      const refundedMicros = await refundRun(tx, { runId, workflow: run.workflow, parentRunId: run.parentRunId, budget: run.budget, now: this.now() });
      await appendAudit(tx, this.store.dialect, [{ kind: "run.resume", at: this.now(), runId, workflow: run.workflow, principal: run.principal, data: { ...recovered, refundedMicros, budgetMicros: run.budget, forced: Boolean(options.force), epoch, previousOwner: run.leaseOwner } }]);
    });
    const journal = await Journal.load(this.store, runId, { lease, maxPayloadBytes: this.#maxPayloadBytes });
    return this.#launch({ ...run, status: "running" }, workflow, journal, lease, true);
  }

  /**
   * Publishes an event: it is appended to the durable log, runs parked waiting for its topic
   * resume, and workflows subscribed to the topic start with the event's data as input.
   * Returns the handles of the runs it resumed or started.
   */
  async publish(topic: string, data: unknown): Promise<RunHandle[]> {
    let seq = 0;
    await this.store.write(async (tx) => void (seq = await appendEvent(tx, { topic, data, now: this.now() })));
    return this.#dispatch({ topic, data, seq });
  }

  /**
   * Resumes a run that waits for something (or the outermost run waiting on it: a child's
   * wait parks its parents). Use it after recording a decision with `decideApproval`.
   * Returns undefined when the run is being executed elsewhere: it then picks the answer up itself.
   */
  async wake(runId: string): Promise<RunHandle | undefined> {
    const target = await waitingRoot(this.store.db, runId);
    const active = this.#active.get(target);
    if (active) {
      this.#wakeRequested.add(target);
      return { runId: target, result: () => active.done };
    }
    try {
      return await this.resume(target);
    } catch (error) {
      // Another process holds the run: it checks for answers when it parks.
      if (CadreError.is(error) && error.code === "RUN_LEASED") return undefined;
      throw error;
    }
  }

  /** Waiting runs resume; each subscribed workflow starts once per event (its run id derives from the event). */
  async #dispatch(event: PublishedEvent): Promise<RunHandle[]> {
    const handles: RunHandle[] = [];
    const woken = new Set<string>();
    for (const runId of await runsWaitingFor(this.store.db, event.topic, event.seq)) {
      const run = await getRunRecord(this.store.db, runId);
      if (!run || !this.workflows.has(run.workflow)) continue;
      // A run (or the parent waiting on it) whose workflow this runtime lacks stays parked for one that has it.
      const handle = await this.wake(runId).catch((error: unknown) => {
        if (CadreError.is(error) && error.code === "UNKNOWN_WORKFLOW") return undefined;
        throw error;
      });
      if (handle && !woken.has(handle.runId)) handles.push(handle);
      if (handle) woken.add(handle.runId);
    }
    for (const workflow of this.#subscriptions.get(event.topic) ?? []) {
      const runId = subscriberRunId(event.seq, workflow.name);
      if (await getRunRecord(this.store.db, runId)) continue;
      try {
        handles.push(await this.start(workflow, event.data, { runId }));
      } catch (thrown) {
        // One subscriber refusing the event (its input schema, its budget) does not stop the others.
        const error = toCadreError(thrown).toJSON();
        handles.push({ runId, result: async () => ({ runId, status: "failed", error }) });
      }
    }
    return handles;
  }

  /** Starts a run of `workflow` for every event published on `topic` through this runtime. */
  subscribe(topic: string, workflow: Workflow | string): () => void {
    const registered = typeof workflow === "string" ? this.workflow(workflow) : this.#registered(workflow);
    const set = this.#subscriptions.get(topic) ?? new Set<Workflow>();
    set.add(registered);
    this.#subscriptions.set(topic, set);
    return () => set.delete(registered);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return getRunRecord(this.store.db, runId);
  }

  listRuns(filter?: RunFilter): Promise<RunRecord[]> {
    return listRunRecords(this.store.db, filter);
  }

  async getSteps(runId: string): Promise<JournalEntry[]> {
    return (await Journal.load(this.store, runId)).entries();
  }

  /** Cancels the runs this runtime is executing, waits for them to settle and closes the store it opened. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#deadlineTimers.values()) clearTimeout(timer);
    for (const { controller } of this.#active.values()) controller.abort();
    await Promise.allSettled([...this.#active.values()].map(({ done }) => done));
    if (this.#ownsStore) await this.store.close();
  }

  /** Starts (or, on a resumed parent, resumes) a child run and waits for it; its waiting parks the parent too. */
  async #runChild(parent: RunRecord, child: { workflow: Workflow; input: unknown; runId: string; parentStepKey: string; budget?: number; grants?: GrantSpec[] }): Promise<unknown> {
    const existing = await getRunRecord(this.store.db, child.runId);
    const workflow = this.#registered(child.workflow);
    // A child inherits its parent's ceiling, and may be given a narrower one, never a wider one.
    for (const grant of child.grants ?? []) {
      if (parent.grantCeiling && !parent.grantCeiling.some((allowed) => grantCovers(allowed, grant))) {
        throw new PermissionDeniedError({ agent: `workflow:${workflow.name}`, scope: grant.scope, resource: grant.resource ?? "*", reason: "a child run cannot be given grants its parent run does not have", runId: parent.id, stepKey: child.parentStepKey });
      }
    }
    const grantCeiling = child.grants ?? parent.grantCeiling;
    const handle = existing
      ? await this.resume(child.runId, { force: true })
      : await this.start(workflow, child.input, { runId: child.runId, parent: { runId: parent.id, stepKey: child.parentStepKey }, budget: child.budget, principal: parent.principal, goal: parent.goal ?? undefined, grantCeiling });
    const result = await handle.result();
    if (result.status === "completed" || result.status === "partial") return result.output;
    if (result.status === "waiting") throw new RunSuspended(child.parentStepKey, `child run ${child.runId} is waiting`);
    throw fromSerializedError(result.error!);
  }

  #registered(workflow: Workflow): Workflow {
    const registered = this.workflows.get(workflow.name);
    if (!registered) throw new UnknownWorkflowError(workflow.name, [...this.workflows.keys()]);
    return registered;
  }

  #lease(runId: string, epoch: number): RunLease {
    this.#launched += 1;
    return new RunLease(this.store, { runId, epoch }, { leaseMs: this.#leaseMs, now: this.now, order: this.#launched });
  }

  #launch(run: RunRecord, workflow: Workflow, journal: Journal, lease: RunLease, resumed: boolean): RunHandle {
    const controller = new AbortController();
    // Another process took the run over: stop every in-flight effect of this one.
    lease.onLost((error) => controller.abort(error));
    const done = this.#execute(run, workflow, journal, lease, resumed, controller.signal)
      .finally(() => this.#active.delete(run.id))
      .then((result) => this.#afterRun(run, journal, result));
    this.#active.set(run.id, { controller, done });
    return { runId: run.id, result: () => done };
  }

  /**
   * A run that parked although its answer already arrived (published or decided while it
   * was parking) resumes at once; a child run that finished wakes the parent waiting on it.
   */
  async #afterRun(run: RunRecord, journal: Journal, result: RunResult): Promise<RunResult> {
    const requested = this.#wakeRequested.delete(run.id);
    if (this.#closing || result.error?.code === "RUN_LEASE_LOST") return result;
    try {
      if (result.status === "waiting") {
        if (requested || (await answeredWhileParked(this.store.db, journal))) return await (await this.resume(run.id)).result();
        this.#wakeAtDeadline(run, journal);
        return result;
      }
      if (run.parentRunId && (await getRunRecord(this.store.db, run.parentRunId))?.status === "waiting") await this.wake(run.parentRunId);
    } catch (error) {
      // The run and its parent stay resumable; only the automatic wake-up was lost.
      createLogger({ runId: run.id, workflow: run.workflow }).warn(`waking the run after it ended failed: ${toCadreError(error).message}`);
    }
    return result;
  }

  /** A wait with a timeout fails at its deadline: resume the run then, if this runtime is still open. */
  #wakeAtDeadline(run: RunRecord, journal: Journal): void {
    const deadline = earliestDeadline(journal);
    if (deadline === undefined) return;
    clearTimeout(this.#deadlineTimers.get(run.id));
    const timer = setTimeout(() => {
      this.#deadlineTimers.delete(run.id);
      getRunRecord(this.store.db, run.id)
        .then((current) => (current?.status === "waiting" ? this.wake(run.id) : undefined))
        .catch((error: unknown) => createLogger({ runId: run.id, workflow: run.workflow }).warn(`waking the run at its deadline failed: ${toCadreError(error).message}`));
    }, Math.max(0, deadline - this.now()) + 1);
    timer.unref();
    this.#deadlineTimers.set(run.id, timer);
  }

  async #execute(run: RunRecord, workflow: Workflow, journal: Journal, lease: RunLease, resumed: boolean, signal: AbortSignal): Promise<RunResult> {
    const startedAt = this.now();
    this.#events.emit("run-start", { runId: run.id, workflow: workflow.name, resumed });
    lease.startHeartbeat();

    const logger = createLogger({ runId: run.id, workflow: workflow.name });
    const state: RunState = {
      runId: run.id,
      workflow: workflow.name,
      goal: run.goal,
      principal: run.principal,
      journal,
      events: this.#events,
      logger,
      now: this.now,
      agents: this.agents,
      guards: this.guards,
      timeouts: this.timeouts,
      models: this.#models,
      runChild: (child) => this.#runChild(run, child),
      dispatchEvent: async (event) => {
        try {
          await this.#dispatch(event);
        } catch (error) {
          // The event is durable; a waiter finds it when it is next resumed.
          logger.warn(`delivering event "${event.topic}" failed: ${toCadreError(error).message}`, { seq: event.seq });
        }
      },
      store: this.store,
      lease,
      gateway: new Gateway({ ceiling: run.grantCeiling, store: lease, dialect: this.store.dialect, runId: run.id, workflow: workflow.name, principal: run.principal, now: this.now, logger, blockOverdueReviews: this.#blockOverdueReviews }),
      partial: false,
    };
    let result: RunResult;
    let outputJson: string | null = null;
    try {
      const context = new DurableContext(state, new Scope(), signal);
      const output = parseOutput(workflow.output, await workflow.run(run.input, context), `workflow "${workflow.name}"`);
      outputJson = encodePayload(output, this.#maxPayloadBytes, () => ({ what: `The output of workflow "${workflow.name}"`, runId: run.id }));
      // A workflow that caught its suspension still parks: what it returned came from a path the resume will not take.
      result = state.suspended ? { runId: run.id, status: "waiting" } : { runId: run.id, status: state.partial ? "partial" : "completed", output };
    } catch (thrown) {
      result = state.suspended || RunSuspended.is(thrown) ? { runId: run.id, status: "waiting" } : { runId: run.id, status: "failed", error: toCadreError(thrown).toJSON() };
    }
    try {
      await journal.flush();
    } catch (thrown) {
      // A journal write failed: the run must not claim success it cannot prove on resume.
      result = { runId: run.id, status: "failed", error: toCadreError(thrown).toJSON() };
    }
    // Whatever the workflow made of it, a run taken over by another process ends here, writing nothing.
    if (lease.lost) result = { runId: run.id, status: "failed", error: lease.lost.toJSON() };
    try {
      const outcome = { ...result, outputJson: result.status === "failed" ? null : outputJson, at: this.now() };
      if (lease.lost) throw lease.lost;
      await lease.write(async (tx) => {
        await finishRun(tx, run.id, outcome);
        if (outcome.status === "waiting") return state.gateway.auditRun(tx, "run.waiting", {});
        const money = await closeRunAccount(tx, { runId: run.id, workflow: workflow.name, now: outcome.at, parentRunId: run.parentRunId });
        await state.gateway.auditRun(tx, "run.end", { status: outcome.status, spentMicros: money.spent, returnedMicros: money.returned, ...(outcome.error ? { error: outcome.error.code } : {}) });
      });
      // A checkpoint vouches for the log; failing to sign one must not fail the run it follows.
      await checkpointAudit(this.store, this.#audit, { now: this.now }).catch((error: unknown) => logger.warn(`signing the audit checkpoint failed: ${toCadreError(error).message}`));
    } catch (thrown) {
      // The store is gone (closed or unreachable) or the run was taken over: it stays resumable from its journal.
      result = { runId: run.id, status: "failed", error: toCadreError(thrown).toJSON() };
    } finally {
      lease.stopHeartbeat();
    }
    this.#events.emit("run-end", { runId: run.id, workflow: workflow.name, status: result.status, output: result.output, error: result.error, durationMs: this.now() - startedAt });
    return result;
  }
}

function indexByName<T extends { name: string }>(items: T[], kind: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (map.has(item.name) && map.get(item.name) !== item) throw new ConfigurationError(`Two ${kind}s are named "${item.name}"; names must be unique.`);
    map.set(item.name, item);
  }
  return map;
}
