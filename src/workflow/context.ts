import type { Agent, Logger } from "../agent/define-agent.ts";
import { AbortedError } from "../engine/engine-errors.ts";
import type { RetryOptions } from "../engine/resilience.ts";
import type { AttemptContext, StepEnvironment } from "../engine/run-step.ts";
import { Scope } from "../engine/scope.ts";
import { CadreError, ConfigurationError, toCadreError } from "../errors.ts";
import type { ApprovalDecision } from "./approvals.ts";
import { appendEvent, firstEventAfter, latestEventSeq } from "./events.ts";
import { ApprovalRejectedError, RunSuspended } from "./patterns/suspension.ts";
import { waitDurably } from "./patterns/waiting.ts";
import { compareAndSet, readEntries, runBlackboard, type Board, type BoardEntry, type Contributor } from "./patterns/blackboard.ts";
import { groupChat, handoff, pipeline, type ChatMessage, type HandoffDecision } from "./patterns/conversation.ts";
import { gate, type GateOptions } from "./patterns/gate.ts";
import { runPlan, type PlanTask } from "./patterns/plan.ts";
import { refine, type RefineOptions, type RefineResult } from "./patterns/refine.ts";
import { resolveConflict, type Candidate, type Resolution, type ResolutionRule } from "./patterns/resolve.ts";
import { route, type Classification, type RouteOptions } from "./patterns/route.ts";
import type { Workflow } from "./define-workflow.ts";
import type { GrantSpec } from "../governance/grants.ts";
import { ParallelError, type BranchFailure } from "./parallel-errors.ts";
import { agentCall, unregisteredAgent, type AgentCallOptions, type Delegate } from "./effects/agent-call.ts";
import { childRunIdFor, childWorkflow } from "./effects/child-workflow.ts";
import { branchWorkflowName, closuresCannotBeDistributed } from "./distribution.ts";
import { PlacementMismatchError } from "./placement-errors.ts";
import { placementMatches } from "../workers/run-ticket.ts";
import { runEffect, type EffectSite } from "./effects/effect.ts";
import { journaledStep } from "./effects/journaled-step.ts";
import { supervise, type ChildSpec, type SupervisorOptions, type SupervisorResult } from "./patterns/supervise.ts";
import { supervisorJournal } from "./patterns/supervisor-journal.ts";
import type { RunState } from "./run-state.ts";

export type { RunState } from "./run-state.ts";

/** Options of one agent call: timeout, retry, just-in-time grants. */
export type CallOptions = AgentCallOptions;

export interface ParallelOptions {
  /** Return partial results when at least this many branches succeed (the run ends `partial`). */
  minSuccess?: number;
  /** At most this many branches run at once (default: all). Distributed: branches are handed out in waves of at most this many. */
  concurrency?: number;
  /**
   * Runs the branches on worker processes (with `dispatch: "queue"`), so one run's fan-out uses
   * every worker. Each branch is a child run a worker rebuilds by name: for `map` over an agent
   * a run of the one-step workflow `branch-<agent>`, over a workflow a run of it. Closures
   * (`parallel`) cannot cross processes and are refused (CONFIGURATION). Without workers the
   * branches run in this process, with the same result.
   */
  distribute?: boolean;
  /**
   * Micro-units carved from this run for each distributed branch; what a branch does not spend
   * returns to this run when it ends. Default: the agent's `budget.perCall`, else the
   * workflow's `budget.perRun`, else an equal share of this run's budget.
   */
  branchBudget?: number;
}

/** One branch's outcome. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: CadreError };

/** The outcome of a fan-out that tolerated failures. */
export interface PartialResults<T, R extends ReadonlyArray<Settled<unknown>> = Array<Settled<T>>> {
  /** One entry per branch, in branch order (a typed tuple when the branches were a tuple). */
  results: R;
  /** The values of the branches that succeeded, in branch order. */
  values: T[];
  failures: BranchFailure[];
}

export type Branch<T> = (context: WorkflowContext) => Promise<T>;

/** The result tuple of `parallel`: one value per branch, each typed by its branch. */
export type BranchResults<B extends ReadonlyArray<Branch<unknown>>> = { -readonly [K in keyof B]: B[K] extends Branch<infer T> ? T : never };

/** What a workflow's `run` receives: every effect goes through it so it is journaled. */
export interface WorkflowContext {
  readonly runId: string;
  /** The run's original goal, available to every step. */
  readonly goal: string | null;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Calls an agent as a durable step: validated input and output, timeout, retries. */
  call<I, O, In>(agent: Agent<I, O, In>, input: In, options?: CallOptions): Promise<O>;
  /**
   * Calls a child workflow: a run of its own, with a budget carved from this run (`budget`,
   * else its perRun) and at most the `grants` given (no wider than this run's own ceiling).
   */
  call<I, O, In>(workflow: Workflow<I, O, In>, input: In, options?: { budget?: number; grants?: GrantSpec[] }): Promise<O>;
  /** Router: a classifier picks the route; the chosen agent handles the input. Audited as `route.decision`. */
  route<I, O>(classifier: Agent<any, Classification>, routes: Record<string, Agent<any, O>>, input: I, options?: RouteOptions): Promise<{ route: string; classification: Classification; output: O }>;
  /** Critic-refiner loop with a mandatory hard cap. */
  refine<I, D>(options: RefineOptions<I, D>): Promise<RefineResult<D>>;
  /** Executes a validated task graph at maximum parallelism. */
  plan(tasks: PlanTask[]): Promise<Record<string, unknown>>;
  /** Sequential stages, each output validated before the next stage. */
  pipeline(stages: Agent[], input: unknown): Promise<unknown>;
  /** Agents hand control to named peers; capped, ping-pong cut off. */
  handoff(options: { start: Agent<any, HandoffDecision>; peers: Array<Agent<any, HandoffDecision>>; input: unknown; maxHandoffs?: number }): Promise<{ output: unknown; path: Array<{ agent: string; reason?: string }> }>;
  /** Round-robin or selector-driven conversation with a hard round cap. */
  groupChat(options: { agents: Array<Agent<any, string>>; topic: string; maxRounds: number; selector?: Agent<any, string>; until?: (transcript: ChatMessage[]) => boolean }): Promise<{ transcript: ChatMessage[]; finished: boolean }>;
  /** The run's shared blackboard: journaled reads, compare-and-set writes. */
  readonly board: Board;
  /** Swarm over the blackboard: contributors act when their condition holds. */
  blackboard(options: { contributors: Contributor[]; maxRounds: number }): Promise<{ entries: Record<string, BoardEntry>; rounds: number; conflicts: number }>;
  /** Picks one answer among conflicting ones by an explicit rule; journaled and audited. */
  resolve<T>(candidates: Array<Candidate<T>>, rule: ResolutionRule<T>): Promise<Resolution<T>>;
  /** Sends a low-confidence output to a critic or a human before it flows downstream. */
  gate<T extends { confidence?: number }>(output: T, options: GateOptions<T>): Promise<{ output: T; gated: boolean }>;
  /** Writes an audit record for a decision the workflow made (once, even across resumes). */
  record(kind: string, data: Record<string, unknown>): Promise<void>;
  /** Runs branches concurrently, each in its own scope, and joins them. */
  parallel<const B extends ReadonlyArray<Branch<unknown>>>(branches: B, options?: ParallelOptions & { minSuccess?: undefined }): Promise<BranchResults<B>>;
  parallel<const B extends ReadonlyArray<Branch<unknown>>>(
    branches: B,
    options: ParallelOptions & { minSuccess: number },
  ): Promise<PartialResults<BranchResults<B>[number], { -readonly [K in keyof B]: Settled<BranchResults<B>[K]> }>>;
  /** Calls one agent (or starts one child run of a workflow) per item with bounded concurrency. */
  map<I, O, In>(items: readonly In[], agent: Agent<I, O, In> | Workflow<I, O, In>, options?: ParallelOptions & { minSuccess?: undefined }): Promise<O[]>;
  map<I, O, In>(items: readonly In[], agent: Agent<I, O, In> | Workflow<I, O, In>, options: ParallelOptions & { minSuccess: number }): Promise<PartialResults<O>>;
  /** Runs children under an OTP-style supervisor: restarts per strategy, escalates past its restart intensity. */
  supervise<T>(options: SupervisorOptions, children: Array<ChildSpec<T>>): Promise<SupervisorResult<T>>;
  /**
   * Asks a person to decide. The run parks as `waiting` (the process may exit) until
   * `cadre approve|reject` records the decision; a rejection throws ApprovalRejectedError.
   */
  approval(name: string, options?: { request?: unknown; timeout?: number }): Promise<ApprovalDecision>;
  /** Publishes an event on the durable log (once, even across resumes). */
  emit(topic: string, data: unknown): Promise<void>;
  /** Waits for an event published on `topic` from now on; the run parks as `waiting` meanwhile. */
  waitFor<T = unknown>(topic: string, options?: { timeout?: number }): Promise<T>;
  /** Journals any other side-effecting code; its result must be JSON. */
  step<T>(name: string, work: (attempt: AttemptContext) => Promise<T> | T, options?: { timeout?: number; retry?: RetryOptions }): Promise<T>;
}

export class DurableContext implements WorkflowContext {
  readonly #state: RunState;
  readonly #scope: Scope;
  readonly #withinAgent: boolean;
  readonly signal: AbortSignal;

  /** `withinAgent`: the context of an agent's own delegations, which finish even while the run parks. */
  constructor(state: RunState, scope: Scope, signal: AbortSignal, options: { withinAgent?: boolean } = {}) {
    this.#state = state;
    this.#scope = scope;
    this.signal = signal;
    this.#withinAgent = options.withinAgent ?? false;
  }

  get runId(): string {
    return this.#state.runId;
  }

  get goal(): string | null {
    return this.#state.goal;
  }

  get logger(): Logger {
    return this.#state.logger;
  }

  #environment(): StepEnvironment {
    const state = this.#state;
    return { runId: state.runId, journal: state.journal, events: state.events, signal: this.signal, now: state.now, parked: this.#withinAgent ? undefined : () => state.suspended, replay: state.replay };
  }

  /** Records that the run parks here, so it ends `waiting` even if the workflow catches the suspension. */
  #parking<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((error: unknown) => {
      if (RunSuspended.is(error)) this.#state.suspended ??= error;
      throw error;
    });
  }

  call<I, O, In>(target: Agent<I, O, In> | Workflow<I, O, In>, input: In, options: CallOptions & { budget?: number } = {}): Promise<O> {
    if (target.kind === "workflow") return this.#callWorkflow(target, input, options.budget, options.grants);
    const unregistered = unregisteredAgent(this.#state, target);
    if (unregistered) return Promise.reject(unregistered);
    const { labels } = this.#state;
    if (target.placement && labels && !placementMatches(target.placement, labels)) return this.#refusePlacement(target, target.placement, labels);
    // An agent whose tool call waits for a person's approval parks the run.
    return this.#parking(runEffect(this.#site(), agentCall(this.#site(), { agent: target, input, call: options, delegate: this.#delegate })));
  }

  /** A placed agent called on a worker whose labels do not match: refused, and the decision audited. */
  async #refusePlacement(agent: Agent, placement: Record<string, string>, labels: Record<string, string>): Promise<never> {
    const state = this.#state;
    await state.lease.write((tx) => state.gateway.auditRun(tx, "agent.placement_refused", { agent: agent.name, placement, labels }));
    throw new PlacementMismatchError({ agent: agent.name, placement, labels, runId: state.runId });
  }

  /** An agent's own delegations: calls in its effect scope that finish even while the run parks. */
  readonly #delegate: Delegate = (scope, signal) => (agent, input, options) => new DurableContext(this.#state, scope, signal, { withinAgent: true }).call(agent, input, options);

  #site(): EffectSite {
    const state = this.#state;
    return { state, scope: this.#scope, signal: this.signal, parked: this.#withinAgent ? undefined : () => state.suspended };
  }

  parallel<T>(branches: ReadonlyArray<Branch<T>>, options?: ParallelOptions): Promise<any> {
    const { position } = this.#scope.next("parallel");
    if (options?.distribute) return Promise.reject(closuresCannotBeDistributed(position));
    return this.#join(position, branches, options ?? {});
  }

  map<I, O, In>(items: readonly In[], target: Agent<I, O, In> | Workflow<I, O, In>, options: ParallelOptions = {}): Promise<any> {
    const { position } = this.#scope.next(`map:${target.name}`);
    const state = this.#state;
    // Without workers a distributed fan-out is an ordinary one: same branches, same result.
    if (!options.distribute || !distributedHere(state, position)) {
      if (target.kind === "workflow") return this.#join(position, items.map((item) => (context: WorkflowContext) => context.call(target, item, { budget: options.branchBudget })), options);
      return this.#join(position, items.map((item) => (context: WorkflowContext) => context.call(target, item)), options);
    }
    const workflow = target.kind === "workflow" ? target : state.branchWorkflow(target);
    const budget = options.branchBudget ?? (target.kind === "agent" ? target.budget?.perCall : target.budget?.perRun) ?? Math.floor(state.budget / Math.max(1, items.length));
    return this.#join(position, items.map((item) => (context: WorkflowContext) => context.call(workflow, item, { budget })), options, { distributed: true });
  }

  #callWorkflow<I, O, In>(workflow: Workflow<I, O, In>, input: In, budget: number | undefined, grants: GrantSpec[] | undefined): Promise<O> {
    return this.#parking(runEffect(this.#site(), childWorkflow<O>(this.#state, { workflow, input, budget, grants })));
  }

  route<I, O>(classifier: Agent<any, Classification>, routes: Record<string, Agent<any, O>>, input: I, options?: RouteOptions): Promise<{ route: string; classification: Classification; output: O }> {
    return route(this, classifier, routes, input, options);
  }

  refine<I, D>(options: RefineOptions<I, D>): Promise<RefineResult<D>> {
    return refine(this, options);
  }

  plan(tasks: PlanTask[]): Promise<Record<string, unknown>> {
    return runPlan(this, tasks, this.#state.agents);
  }

  pipeline(stages: Agent[], input: unknown): Promise<unknown> {
    return pipeline(this, stages, input);
  }

  handoff(options: { start: Agent<any, HandoffDecision>; peers: Array<Agent<any, HandoffDecision>>; input: unknown; maxHandoffs?: number }) {
    return handoff(this, options);
  }

  groupChat(options: { agents: Array<Agent<any, string>>; topic: string; maxRounds: number; selector?: Agent<any, string>; until?: (transcript: ChatMessage[]) => boolean }) {
    return groupChat(this, options);
  }

  get board(): Board {
    const state = this.#state;
    return {
      read: <T>(key: string) => this.step(`board:read:${key}`, async () => ((await readEntries(state.store, state.runId))[key] as BoardEntry<T> | undefined) ?? null).then((entry) => entry ?? undefined),
      write: (key: string, value: unknown, options: { expectedVersion: number; writer?: string }) =>
        this.step(`board:write:${key}`, (attempt) =>
          compareAndSet(state.store, { runId: state.runId, key, value, expectedVersion: options.expectedVersion, writer: options.writer ?? state.workflow, now: state.now(), retry: attempt.attempt > 1 }),
        ),
      entries: () => this.step("board:entries", () => readEntries(state.store, state.runId)),
    };
  }

  blackboard(options: { contributors: Contributor[]; maxRounds: number }) {
    return runBlackboard(this, options);
  }

  resolve<T>(candidates: Array<Candidate<T>>, rule: ResolutionRule<T>): Promise<Resolution<T>> {
    return resolveConflict(this, candidates, rule);
  }

  gate<T extends { confidence?: number }>(output: T, options: GateOptions<T>): Promise<{ output: T; gated: boolean }> {
    return gate(this, output, options);
  }

  record(kind: string, data: Record<string, unknown>): Promise<void> {
    const effect = journaledStep({ name: `record:${kind}`, input: data, audited: false, work: () => undefined });
    // The record is the effect: written (fenced, group-committed) with the step's key.
    return runEffect(this.#site(), { ...effect, execute: (_attempt, step) => this.#state.gateway.record(kind, { stepKey: step.key, data }) });
  }

  supervise<T>(options: SupervisorOptions, children: Array<ChildSpec<T>>): Promise<SupervisorResult<T>> {
    const { position } = this.#scope.next(`supervise:${options.strategy}`);
    return supervise(
      {
        position,
        signal: this.signal,
        now: this.#state.now,
        childContext: (index, generation, signal) => new DurableContext(this.#state, this.#scope.child(position, `${index}g${generation}`), signal),
        ...supervisorJournal({ environment: this.#environment(), scope: this.#scope.child(position, "s"), hooks: (name, key) => this.#state.gateway.hooks({ name }, key) }),
      },
      options,
      children,
    );
  }

  async approval(name: string, options: { request?: unknown; timeout?: number } = {}): Promise<ApprovalDecision> {
    const state = this.#state;
    const { position, key } = this.#scope.next(`approval:${name}`);
    const decision = await this.#parking(waitDurably<ApprovalDecision>(
      { runId: state.runId, journal: state.journal, now: state.now, events: state.events, replay: state.replay, signal: this.signal },
      { position, key, name: `approval:${name}`, type: "approval", request: { request: options.request ?? null }, timeoutMs: options.timeout, describe: `approval "${name}"` },
    ));
    if (!decision.approved) throw new ApprovalRejectedError({ name, stepKey: key, by: decision.by, note: decision.note });
    return decision;
  }

  async emit(topic: string, data: unknown): Promise<void> {
    const state = this.#state;
    const appended = await runEffect(
      this.#site(),
      journaledStep({
        name: `emit:${topic}`,
        type: "event",
        input: data,
        audited: false,
        work: async () => {
          let seq = 0;
          await state.lease.write(async (tx) => void (seq = await appendEvent(tx, { topic, data, sourceRunId: state.runId, now: state.now() })));
          return { seq };
        },
      }),
    );
    // Delivered again on replay: a crash between the append and the delivery loses nothing, and delivery is idempotent.
    if (appended?.seq) await state.dispatchEvent({ topic, data, seq: appended.seq });
  }

  async waitFor<T = unknown>(topic: string, options: { timeout?: number } = {}): Promise<T> {
    const state = this.#state;
    const { position, key } = this.#scope.next(`wait:${topic}`);
    const event = await this.#parking(waitDurably<{ data: unknown }>(
      { runId: state.runId, journal: state.journal, now: state.now, events: state.events, replay: state.replay, signal: this.signal },
      {
        position,
        key,
        name: `wait:${topic}`,
        type: "event",
        request: { topic },
        timeoutMs: options.timeout,
        describe: `event "${topic}"`,
        // Events published from the moment the wait begins count; earlier ones (even an identical one a previous wait consumed) do not.
        prepare: async () => ({ afterSeq: await latestEventSeq(state.store.db) }),
        lookup: (request) => firstEventAfter(state.store.db, topic, Number(request.afterSeq ?? 0)),
      },
    ));
    return event.data as T;
  }

  step<T>(name: string, work: (attempt: AttemptContext) => Promise<T> | T, options: { timeout?: number; retry?: RetryOptions } = {}): Promise<T> {
    return runEffect(this.#site(), journaledStep({ name, work, timeoutMs: options.timeout, retry: options.retry }));
  }

  /**
   * Runs the branches and joins them. `distributed`: each branch is a child run on a worker; a
   * branch whose child has not ended parks the run (freeing its worker) until the children end,
   * and when the join can no longer succeed the children still in flight are cancelled.
   */
  async #join<T>(position: string, branches: ReadonlyArray<Branch<T>>, options: ParallelOptions, mode: { distributed?: boolean } = {}): Promise<T[] | PartialResults<T>> {
    const total = branches.length;
    const required = options.minSuccess ?? total;
    if (required > total || required < 0) {
      throw new ConfigurationError({ message: `minSuccess ${required} is impossible with ${total} branches at step ${position}.`, position, total, required });
    }
    // Siblings stop as soon as the join can no longer succeed: no money spent on doomed work.
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(this.signal.reason);
    this.signal.addEventListener("abort", onParentAbort, { once: true });
    const results: PartialResults<T>["results"] = new Array(total);
    let suspended: RunSuspended | undefined;
    /** Distributed branches whose child run has not ended (pending, running, or itself parked). */
    const inFlight: Array<{ index: number; runId: string }> = [];
    let failed = 0;
    let next = 0;

    const runBranch = async (index: number): Promise<void> => {
      // A distributed branch is created even once a sibling parked the run: parking is how the join waits for all of them.
      const context = new DurableContext(this.#state, this.#scope.child(position, index), controller.signal, { withinAgent: mode.distributed === true });
      try {
        if (controller.signal.aborted) throw new AbortedError({ message: `Branch ${index} at step ${position} was cancelled because the join can no longer succeed.` });
        results[index] = { ok: true, value: await branches[index]!(context) };
      } catch (error) {
        // A branch waiting for a person or an event parks the whole run; it is not a failure.
        if (RunSuspended.is(error)) {
          suspended ??= error;
          results[index] = { ok: false, error: toCadreError(new Error(error.message)) };
          if (mode.distributed) inFlight.push({ index, runId: childRunIdFor(this.#state.runId, error.stepKey) });
          return;
        }
        results[index] = { ok: false, error: toCadreError(error) };
        failed += 1;
        if (failed > total - required) controller.abort();
      }
    };
    const concurrency = Math.max(1, Math.min(options.concurrency ?? total, total));
    // Distributed, a wave of `concurrency` children is handed out; the next when they have ended (the run is woken then).
    const waveFull = () => mode.distributed === true && inFlight.length >= concurrency && !controller.signal.aborted;
    const worker = async (): Promise<void> => {
      while (next < total && !waveFull()) await runBranch(next++);
    };
    // Distributed branches are created many at a time: their launches share group commits (see distributedLaunchers).
    const loops = mode.distributed ? Math.min(concurrency, distributedLaunchers) : concurrency;
    try {
      await Promise.all(Array.from({ length: loops }, worker));
    } finally {
      this.signal.removeEventListener("abort", onParentAbort);
    }

    if (suspended && mode.distributed && failed > total - required) {
      // Doomed: the children still in flight are cancelled (their unspent money returns here) and count as aborted.
      await this.#state.cancelRuns(inFlight.map(({ runId }) => runId), `the join at step ${position} can no longer succeed`);
      for (const { index, runId } of inFlight) results[index] = { ok: false, error: new AbortedError({ message: `Branch ${index} at step ${position} (run ${runId}) was cancelled because the join can no longer succeed.`, runId }) };
      suspended = undefined;
      // The run no longer parks on them (a wait elsewhere in the workflow still parks it).
      const parkedOn = this.#state.suspended;
      if (parkedOn && inFlight.some(({ runId }) => runId === childRunIdFor(this.#state.runId, parkedOn.stepKey))) this.#state.suspended = undefined;
    }
    if (suspended) throw suspended;
    const failures: BranchFailure[] = [];
    const values: T[] = [];
    results.forEach((result, index) => (result.ok ? values.push(result.value) : failures.push({ index, error: result.error })));
    if (this.signal.aborted) throw new AbortedError({ message: `Run ${this.#state.runId} was aborted during step ${position}.`, runId: this.#state.runId });
    if (values.length < required || (options.minSuccess === undefined && failures.length > 0)) {
      const primary = failures.find(({ error }) => error.code !== "ABORTED") ?? failures[0];
      const ordered = primary ? [primary, ...failures.filter((failure) => failure !== primary)] : failures;
      throw new ParallelError({ runId: this.#state.runId, position, total, succeeded: values.length, required, failures: ordered });
    }
    if (options.minSuccess === undefined) return values;
    if (failures.length > 0) this.#state.partial = true;
    return { results, values, failures };
  }
}

/**
 * How many distributed branches a join creates at once. Creating one is a chain of round trips
 * (the step's `started`, a read of the child's record, the child's run, account, audit and
 * ticket, the step's `waiting`), and concurrent creations share one group commit per link of
 * the chain: with 4 at a time a fan-out of 1000 took ~19 s to hand its branches out over 4
 * workers, with 64 ~6 s, no faster with more (the workers executing the branches are then the
 * limit). Each creation holds a pooled connection only for one statement at a time, so the
 * run's lease renewals still get theirs within milliseconds.
 */
const distributedLaunchers = 64;

/**
 * Whether the fan-out at `position` hands its branches to workers. Decided once, when it first
 * executes (by whether this run's runtime has workers), then read back from the journal: a run
 * taken over by a process of the other kind replays its fan-out as it began.
 */
function distributedHere(state: RunState, position: string): boolean {
  const prefix = `${position}.`;
  for (const entry of state.journal.entries()) {
    if (!entry.key.startsWith(prefix)) continue;
    // An in-process fan-out journals agent calls; a `branch-<agent>` child exists only distributed;
    // a fan-out of child workflows journals the same steps either way.
    if (entry.type !== "workflow") return false;
    return entry.name.startsWith(branchWorkflowName("")) || state.distributes;
  }
  return state.distributes;
}
