import { EventBus } from "../../engine/events.ts";
import { Journal } from "../../engine/journal.ts";
import { RunLease } from "../../engine/run-lease.ts";
import type { RunRecord } from "../../engine/run-records.ts";
import { RunSuspended } from "../../engine/run-suspended.ts";
import { Scope } from "../../engine/scope.ts";
import { InternalError, toCadreError, type SerializedError } from "../../errors.ts";
import { appendAudit } from "../../governance/audit-log.ts";
import { Gateway } from "../../governance/gateway.ts";
import type { RunStatus } from "../../store/schema.ts";
import { DurableContext } from "../context.ts";
import type { Workflow } from "../define-workflow.ts";
import { createLogger } from "../logger.ts";
import { runFacts, type ExecutorServices } from "../run-executor.ts";
import type { RunState } from "../run-state.ts";
import { parseOutput } from "../validate.ts";
import { firstDifference } from "./json-difference.ts";
import { JournalReplayer, type ReplayedStep } from "./step-replayer.ts";

/** What a replay needs of the executor's services (its searches are answered from the journal like every effect), and who replays. */
export type ReplayServices = Pick<ExecutorServices, "store" | "agents" | "guards" | "timeouts" | "models" | "knowledge" | "now" | "distributes" | "branchWorkflow"> & {
  /** Who replays: the principal of the audit record. */
  principal: string;
};

/** How the replayed workflow ended. */
export interface ReplayOutcome {
  status: "completed" | "partial" | "failed" | "waiting";
  output?: unknown;
  error?: SerializedError;
}

/** What `Runtime.replay` found: the step tree as today's code sees it, and whether it matches the journal. */
export interface ReplayReport {
  runId: string;
  workflow: string;
  /** `consistent`: today's code asks for exactly the journaled steps with the journaled inputs, and ends as the run did. */
  verdict: "consistent" | "diverged";
  /** The run's status in the store, and how the replay ended. */
  runStatus: RunStatus;
  outcome: ReplayOutcome;
  /** The steps replayed (in key order), up to the first divergence. */
  steps: ReplayedStep[];
  /** The first divergence (a REPLAY_DIVERGED error naming the step and the difference), when there is one. */
  divergence?: SerializedError;
}

/** A run's status that is not final: the journal may end before the code does. */
const inFlight: ReadonlySet<RunStatus> = new Set(["pending", "running", "cancelled"]);

/**
 * Re-executes a run's workflow against its journal with no effects: every step is answered by
 * a JournalReplayer over a read-only journal (no tool, model, HTTP or child run is called,
 * nothing is charged), agents' code runs again over their journaled tool and model calls.
 * Writes exactly one audit record, `run.replay`, saying who replayed the run and what came of it.
 */
export async function replayRun(services: ReplayServices, run: RunRecord, workflow: Workflow): Promise<ReplayReport> {
  const { store, now } = services;
  const journal = await Journal.load(store, run.id, { readOnly: true });
  const replayer = new JournalReplayer(journal, { inFlight: inFlight.has(run.status), overridden: run.forkedFrom?.overridden ?? [] });
  const logger = createLogger({ runId: run.id, workflow: workflow.name, replay: true });
  const noWrites = (what: string) => new InternalError({ message: `A replay of run ${run.id} tried to ${what}; a replay writes nothing.`, runId: run.id });
  const state: RunState = {
    ...runFacts(services, run, workflow),
    journal,
    // Its own bus: listeners of the runtime (progress, metrics) see no steps of a replay.
    events: new EventBus(),
    logger,
    now,
    runChild: () => Promise.reject(noWrites("start a child run")),
    // A replay executes no agent anywhere: placement is not checked.
    labels: undefined,
    // A distributed fan-out replays as it executed where workers took its branches.
    distributes: services.distributes,
    branchWorkflow: services.branchWorkflow,
    cancelRuns: () => Promise.reject(noWrites("cancel child runs")),
    // Events were delivered when the run executed.
    dispatchEvent: async () => {},
    store,
    // Epoch 0 is never a run's (leases start at 1): should anything try to write through it, the fence refuses.
    lease: new RunLease(store, { runId: run.id, epoch: 0 }, { leaseMs: 0, now, order: 0 }),
    gateway: new Gateway({ ceiling: run.grantCeiling, store: { write: () => Promise.reject(noWrites("write an audit record")) }, dialect: store.dialect, runId: run.id, workflow: workflow.name, principal: run.principal, now, logger, blockOverdueReviews: false }),
    partial: false,
    replay: replayer,
  };

  let outcome: ReplayOutcome;
  try {
    const output = parseOutput(workflow.output, await workflow.run(run.input, new DurableContext(state, new Scope(), new AbortController().signal)), `workflow "${workflow.name}"`);
    outcome = state.suspended ? { status: "waiting" } : { status: state.partial ? "partial" : "completed", output };
  } catch (thrown) {
    outcome = state.suspended || RunSuspended.is(thrown) ? { status: "waiting" } : { status: "failed", error: toCadreError(thrown).toJSON() };
  }
  // A replay that fails where the run did not says why first: the steps it then never reached follow from it.
  if (!replayer.divergence && outcome.status === "failed" && run.status !== "failed" && !inFlight.has(run.status)) {
    replayer.diverge({ kind: "outcome-changed", stepKey: (outcome.error?.details.stepKey as string | undefined) ?? null, journaled: describeRun(run), requested: `failed with [${outcome.error?.code}] ${outcome.error?.message}` });
  }
  // A run that failed cut its concurrent branches short at moments a replay does not reproduce (its journaled
  // failures are rethrown at once): when both failed the same way, steps left unasked are not a divergence.
  const failedAlike = run.status === "failed" && outcome.status === "failed" && outcome.error?.code === run.error?.code;
  if (!replayer.divergence && !failedAlike) {
    const missing = replayer.unvisited();
    if (missing) replayer.diverge({ kind: "step-missing", stepKey: missing.key, journaled: `${missing.type} "${missing.name}" (${missing.key}, ${missing.status})`, requested: `the replayed workflow ended ${outcome.status} without it` });
  }
  if (!replayer.divergence) compareOutcome(replayer, run, outcome);

  const divergence = replayer.divergence?.toJSON();
  const report: ReplayReport = { runId: run.id, workflow: workflow.name, verdict: divergence ? "diverged" : "consistent", runStatus: run.status, outcome, steps: replayer.steps(), ...(divergence ? { divergence } : {}) };
  await store.transaction((tx) =>
    appendAudit(tx, store.dialect, [
      {
        kind: "run.replay",
        at: now(),
        runId: run.id,
        workflow: workflow.name,
        principal: services.principal,
        data: { verdict: report.verdict, steps: report.steps.length, outcome: outcome.status, ...(divergence ? { stepKey: divergence.details.stepKey ?? null, kind: divergence.details.kind, message: divergence.message } : {}) },
      },
    ]),
  );
  return report;
}

/** The replay must end as the run did: the same output, the same failure, or parked where the run is. */
function compareOutcome(replayer: JournalReplayer, run: RunRecord, outcome: ReplayOutcome): void {
  const recorded = describeRun(run);
  const replayed = outcome.status === "failed" ? `failed with ${outcome.error?.code}` : outcome.status;
  if (inFlight.has(run.status)) return;
  if (run.status === "waiting") {
    if (outcome.status !== "waiting") replayer.diverge({ kind: "outcome-changed", stepKey: null, journaled: recorded, requested: replayed });
    return;
  }
  if (run.status === "failed") {
    if (outcome.status !== "failed" || outcome.error?.code !== run.error?.code) replayer.diverge({ kind: "outcome-changed", stepKey: null, journaled: recorded, requested: replayed });
    return;
  }
  if (outcome.status !== run.status) return void replayer.diverge({ kind: "outcome-changed", stepKey: null, journaled: recorded, requested: replayed });
  const difference = firstDifference(run.output, outcome.output);
  if (difference) replayer.diverge({ kind: "outcome-changed", stepKey: null, journaled: `${recorded} with its output`, requested: `${replayed} with another output`, difference });
}

function describeRun(run: RunRecord): string {
  return run.status === "failed" ? `failed with ${run.error?.code}` : run.status;
}
