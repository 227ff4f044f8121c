import type { Agent } from "../agent/define-agent.ts";
import type { Workflow } from "./define-workflow.ts";
import type { AdaptiveTimeouts } from "../engine/adaptive-timeout.ts";
import type { EventBus } from "../engine/events.ts";
import type { GuardRegistry } from "../engine/guards.ts";
import type { RunRecord } from "../engine/run-records.ts";
import { AbortedError } from "../engine/engine-errors.ts";
import { finishRun, setRunTraceContext } from "../engine/run-records.ts";
import type { Logger } from "../engine/logger.ts";
import type { RunObservation, RuntimeObserver } from "../engine/run-observer.ts";
import { Scope } from "../engine/scope.ts";
import { toCadreError } from "../errors.ts";
import { checkpointAudit } from "../governance/audit-checkpoints.ts";
import type { AuditSigningOptions } from "../governance/audit-signing-key.ts";
import { Gateway } from "../governance/gateway.ts";
import { closeRunAccount } from "../governance/run-accounts.ts";
import { encodePayload } from "../store/payloads.ts";
import type { KnowledgeBase } from "../knowledge/knowledge-base.ts";
import type { Store } from "../store/store.ts";
import { DurableContext } from "./context.ts";
import type { PublishedEvent } from "./events.ts";
import { createLogger, logSettings } from "./logger.ts";
import type { AgentModelBinding } from "./model-bindings.ts";
import { RunSuspended } from "./patterns/suspension.ts";
import { RunCancellation } from "./run-cancel.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import type { OwnedRun, RunResult } from "./run-handle.ts";
import type { ChildRunRequest, RunState } from "./run-state.ts";
import { parseOutput } from "./validate.ts";

/** What executing a run needs from the runtime that owns it. */
export interface ExecutorServices {
  store: Store;
  events: EventBus;
  agents: ReadonlyMap<string, Agent>;
  guards: GuardRegistry;
  timeouts: AdaptiveTimeouts;
  models: ReadonlyMap<string, AgentModelBinding>;
  knowledge: KnowledgeBase;
  now(): number;
  blockOverdueReviews: boolean;
  maxPayloadBytes: number;
  audit: AuditSigningOptions;
  /** The policy set every effect of every run is decided by, when the configuration names one. */
  policy: PolicyEngine | undefined;
  /** Starts or resumes a child run of `parent` and returns its output (throws its suspension or error). */
  runChild(parent: RunRecord, child: ChildRunRequest): Promise<unknown>;
  /** Delivers an event the run emitted to waiting runs and subscribers. */
  deliver(event: PublishedEvent): Promise<unknown>;
  /** The labels of this process when it is a worker (`serve`), checked against agents' placement. */
  labels(): Record<string, string> | undefined;
  /** Whether distributed fan-outs go to worker processes (dispatch "queue"). */
  distributes: boolean;
  /** The one-step workflow of a distributed call of an agent. */
  branchWorkflow(agent: Agent): Workflow;
  /** Cancels runs (children of `parent`) on behalf of the parent. */
  cancelRuns(parent: RunRecord, runIds: string[], reason: string): Promise<void>;
  /** Tracing and metrics (OpenTelemetry when configured): told of runs, steps and gateway decisions. */
  observer?: RuntimeObserver | undefined;
}

/** What a run's state takes from its record, its workflow and the runtime's shared services, whether it executes or replays. */
export function runFacts(services: Pick<ExecutorServices, "agents" | "guards" | "timeouts" | "models" | "knowledge">, run: RunRecord, workflow: Workflow) {
  const { agents, guards, timeouts, models, knowledge } = services;
  return { runId: run.id, workflow: workflow.name, goal: run.goal, principal: run.principal, budget: run.budget, agents, guards, timeouts, models, knowledge };
}

/**
 * Executes one owned run to its end (or until it parks): assembles the run's services, runs
 * the workflow from the top against its journal, then — fenced, in one transaction — records
 * the outcome, closes the run's account and audits the end. A run taken over by another
 * process ends here without writing anything.
 */
export async function executeRun(services: ExecutorServices, owned: OwnedRun, signal: AbortSignal): Promise<RunResult> {
  const { run, workflow, journal, lease, resumed } = owned;
  const { store, events, now } = services;
  const startedAt = now();
  events.emit("run-start", { runId: run.id, workflow: workflow.name, resumed, parentRunId: run.parentRunId });
  lease.startHeartbeat();
  const logger = createLogger({ runId: run.id, workflow: workflow.name });
  const observation = observe(services, owned, logger);
  logger.info(resumed ? "run resumed" : "run started", { principal: run.principal });
  // Each step's end as a line of its own (debug level): the journal's story, joinable with the run's other logs.
  const stopStepLines = !logSettings().enabled ? () => {} : events.on("step-end", (step) => {
    if (step.runId !== run.id) return;
    const line = logger.child({ stepKey: step.key, agent: step.agent });
    const fields = { type: step.type, attempt: step.attempt, durationMs: step.durationMs, replayed: step.replayed, ...(step.error ? { error: step.error.code } : {}) };
    if (step.status === "failed") line.warn(`step ${step.key} failed: ${step.error?.message ?? "unknown error"}`, fields);
    else line.debug(`step ${step.key} ${step.status}`, fields);
  });
  const state: RunState = {
    ...runFacts(services, run, workflow),
    journal,
    events,
    logger,
    now,
    runChild: (child) => services.runChild(run, child),
    labels: services.labels(),
    distributes: services.distributes,
    branchWorkflow: (agent) => services.branchWorkflow(agent),
    cancelRuns: (runIds, reason) => services.cancelRuns(run, runIds, reason),
    dispatchEvent: async (event) => {
      try {
        await services.deliver(event);
      } catch (error) {
        // The event is durable; a waiter finds it when it is next resumed.
        logger.warn(`delivering event "${event.topic}" failed: ${toCadreError(error).message}`, { seq: event.seq });
      }
    },
    store,
    lease,
    gateway: new Gateway({
      ceiling: run.grantCeiling,
      store: lease,
      dialect: store.dialect,
      runId: run.id,
      workflow: workflow.name,
      principal: run.principal,
      now,
      logger,
      blockOverdueReviews: services.blockOverdueReviews,
      observe: observation ? (record) => observation.decision(record) : undefined,
      policy: services.policy,
      goal: run.goal,
    }),
    partial: false,
    observation,
  };

  let result: RunResult;
  let outputJson: string | null = null;
  try {
    const context = new DurableContext(state, new Scope(), signal);
    const returned = observation ? await observation.within(async () => workflow.run(run.input, context)) : await workflow.run(run.input, context);
    const output = parseOutput(workflow.output, returned, `workflow "${workflow.name}"`);
    outputJson = encodePayload(output, services.maxPayloadBytes, () => ({ what: `The output of workflow "${workflow.name}"`, runId: run.id }));
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
  // A cancelled run ends here too: whoever cancelled it records the end, holds released, in one transaction.
  if (RunCancellation.is(signal.reason) && !lease.lost) {
    lease.stopHeartbeat();
    observation?.ended({ status: "cancelled", error: new AbortedError({ message: signal.reason.message, runId: run.id }).toJSON(), durationMs: now() - startedAt });
    return { runId: run.id, status: "cancelled" };
  }
  // Whatever the workflow made of it, a run taken over by another process ends here, writing nothing.
  if (lease.lost) result = { runId: run.id, status: "failed", error: lease.lost.toJSON() };
  try {
    if (lease.lost) throw lease.lost;
    const outcome = { ...result, outputJson: result.status === "failed" ? null : outputJson, at: now() };
    await lease.write(async (tx) => {
      await finishRun(tx, run.id, outcome);
      if (outcome.status === "waiting") return state.gateway.auditRun(tx, "run.waiting", {});
      const money = await closeRunAccount(tx, { runId: run.id, workflow: workflow.name, now: outcome.at, parentRunId: run.parentRunId });
      await state.gateway.auditRun(tx, "run.end", { status: outcome.status, spentMicros: money.spent, returnedMicros: money.returned, ...(outcome.error ? { error: outcome.error.code } : {}) });
    });
    // A checkpoint vouches for the log; failing to sign one must not fail the run it follows.
    await checkpointAudit(store, services.audit, { now }).catch((error: unknown) => logger.warn(`signing the audit checkpoint failed: ${toCadreError(error).message}`));
  } catch (thrown) {
    // The store is gone (closed or unreachable) or the run was taken over: it stays resumable from its journal.
    result = { runId: run.id, status: "failed", error: toCadreError(thrown).toJSON() };
  } finally {
    lease.stopHeartbeat();
    stopStepLines();
  }
  logger.info(`run ${result.status}`, { status: result.status, durationMs: now() - startedAt, ...(result.error ? { error: result.error.code } : {}) });
  events.emit("run-end", { runId: run.id, workflow: workflow.name, status: result.status, output: result.output, error: result.error, durationMs: now() - startedAt });
  observation?.ended({ status: result.status, error: result.error, durationMs: now() - startedAt });
  return result;
}

/**
 * Tells the observer the run begins; the first time a run is observed, the trace context it
 * gets is stored on the run (fenced, written behind), so a resume in any process joins its trace.
 */
function observe(services: ExecutorServices, owned: OwnedRun, logger: Logger): RunObservation | undefined {
  const { run, workflow, lease, resumed } = owned;
  if (!services.observer) return undefined;
  const observation = services.observer.runStarted({ runId: run.id, workflow: workflow.name, principal: run.principal, resumed, parentRunId: run.parentRunId, traceContext: run.traceContext });
  const traceContext = observation.traceContext;
  if (traceContext && !run.traceContext) {
    lease.write((tx) => setRunTraceContext(tx, run.id, traceContext)).catch((error: unknown) => logger.warn(`storing the run's trace context failed: ${toCadreError(error).message}`));
  }
  return observation;
}
