import type { Agent, Logger } from "../agent/define-agent.ts";
import type { AdaptiveTimeouts } from "../engine/adaptive-timeout.ts";
import type { EventBus } from "../engine/events.ts";
import type { GuardRegistry } from "../engine/guards.ts";
import type { Journal } from "../engine/journal.ts";
import type { RunLease } from "../engine/run-lease.ts";
import type { RunObservation } from "../engine/run-observer.ts";
import type { StepReplayer } from "../engine/run-step.ts";
import type { Gateway } from "../governance/gateway.ts";
import type { GrantSpec } from "../governance/grants.ts";
import type { Store } from "../store/store.ts";
import type { KnowledgeBase } from "../knowledge/knowledge-base.ts";
import type { Workflow } from "./define-workflow.ts";
import type { PublishedEvent } from "./events.ts";
import type { AgentModelBinding } from "./model-bindings.ts";
import type { RunSuspended } from "./patterns/suspension.ts";

/** A child workflow run asked for by a step of its parent. */
export interface ChildRunRequest {
  workflow: Workflow;
  input: unknown;
  /** Derived from the parent's run and step, so a resumed parent finds the same child. */
  runId: string;
  parentStepKey: string;
  budget?: number;
  /** At most these grants (never wider than the parent's own ceiling); default: the parent's ceiling. */
  grants?: GrantSpec[];
}

/** Services shared by every context of one run. */
export interface RunState {
  runId: string;
  workflow: string;
  goal: string | null;
  principal: string;
  journal: Journal;
  events: EventBus;
  logger: Logger;
  now(): number;
  agents: ReadonlyMap<string, Agent>;
  /** Every effect's path: authorization, money and audit for each step. */
  gateway: Gateway;
  /** Circuit breakers and bulkheads per agent and tool, shared across runs. */
  guards: GuardRegistry;
  timeouts: AdaptiveTimeouts;
  store: Store;
  /** This process's fenced ownership of the run: writes of the run outside a step go through it. */
  lease: RunLease;
  /** The labels of the worker process executing the run; undefined when this process is not a worker. */
  labels: Record<string, string> | undefined;
  /** The micro-units the run was given when it started. */
  budget: number;
  /** Whether a fan-out marked `distribute` hands its branches to worker processes (dispatch "queue"). */
  distributes: boolean;
  /** The one-step workflow a worker runs for a distributed call of `agent`. */
  branchWorkflow(agent: Agent): Workflow;
  /** Cancels child runs of this run (a doomed distributed join's branches still in flight). */
  cancelRuns(runIds: string[], reason: string): Promise<void>;
  /** Runs a child workflow as a run of its own (resuming it if it exists) and returns its output. */
  runChild(child: ChildRunRequest): Promise<unknown>;
  /** Delivers an event this run emitted: runs waiting for its topic resume, subscribers start (idempotent). */
  dispatchEvent(event: PublishedEvent): Promise<void>;
  /** Knowledge collections and memory, for the governed knowledge.search and memory effects. */
  knowledge: KnowledgeBase;
  /** Resolved models of the model-backed agents. */
  models: ReadonlyMap<string, AgentModelBinding>;
  /** Set when a join returned partial results: the run then ends `partial`. */
  partial: boolean;
  /** Tracing and metrics of this execution of the run, when an observer is configured. */
  observation?: RunObservation | undefined;
  /** Set when a wait parked the run: it ends `waiting` whatever the workflow did with the suspension. */
  suspended?: RunSuspended;
  /** Set when the run is replayed against its journal (`cadre replay`): every step is answered from it, no effect runs and nothing is written. */
  replay?: StepReplayer;
}
