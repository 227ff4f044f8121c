import type { SerializedError } from "../errors.ts";
import type { RunStatus, StepType } from "../store/schema.ts";

/**
 * What a runtime tells an observer about its runs, for tracing and metrics: a run begins and
 * ends, a governed effect's step runs, the gateway decides. Nothing here knows OpenTelemetry;
 * `src/telemetry/` implements it with the OTel SDK, and tests can implement it by hand.
 */
export interface RuntimeObserver {
  /** A run begins executing (started or resumed), before its workflow runs. */
  runStarted(run: ObservedRun): RunObservation;
  /** Exports what is buffered; called when the runtime closes. */
  flush(): Promise<void>;
}

export interface ObservedRun {
  runId: string;
  workflow: string;
  principal: string;
  resumed: boolean;
  parentRunId: string | null;
  /** What the run stored at its first observed execution (see `RunObservation.traceContext`), if any. */
  traceContext: string | null;
}

/** One execution of a run as an observer follows it. */
export interface RunObservation {
  /**
   * Stored on the run when it had none (its first execution): its resumes, in this process or
   * another, pass it back in `ObservedRun.traceContext`, so they join the same trace.
   */
  readonly traceContext: string | undefined;
  /** Runs the workflow inside the run's context: the steps it starts are the run's children. */
  within<T>(work: () => Promise<T>): Promise<T>;
  /** An effect's step runs (not a replay from the journal); `work` runs inside the step's context. */
  step<T>(step: ObservedStep, work: (observation: StepObservation) => Promise<T>): Promise<T>;
  /** A decision the gateway recorded for a step (allow, deny, settle, release, step.start/end, …), when its transaction is being written. */
  decision(record: { kind: string; stepKey: string; agent?: string | undefined; data: Record<string, unknown> }): void;
  /** The run ended (or parked). */
  ended(result: { status: RunStatus; error?: SerializedError | undefined; durationMs: number }): void;
}

export interface ObservedStep {
  key: string;
  name: string;
  type: StepType;
  agent: string | null;
  /** The attempt the step starts with (a resumed step continues its numbering). */
  attempt: number;
  idempotencyKey: string;
  /** What is paid for, when priced: `model:<provider:id>`, `tool:<name>`. */
  subject?: string | undefined;
  /** True when the gateway writes a settlement (or a step.end) for the step's attempts: the observation waits for it. */
  settles: boolean;
}

/** One step as it runs. */
export interface StepObservation {
  /** The W3C `traceparent` of the step's span, for outgoing HTTP requests (tools). */
  readonly traceparent: string | undefined;
  /** A new attempt of the step began (a retry). */
  attempt(attempt: number): void;
  /** The step's outcome: the observation closes once its settlement (if it has one) is recorded too. */
  ended(outcome: { status: "completed" | "failed" | "waiting"; error?: SerializedError | undefined }): void;
}

/** Several observers as one: each is told everything; contexts nest in the order given. */
export function combineObservers(observers: RuntimeObserver[]): RuntimeObserver | undefined {
  if (observers.length <= 1) return observers[0];
  return {
    runStarted: (run) => {
      const runs = observers.map((observer) => observer.runStarted(run));
      return {
        traceContext: runs.find((observation) => observation.traceContext !== undefined)?.traceContext,
        within: <T>(work: () => Promise<T>) => runs.reduceRight<() => Promise<T>>((inner, observation) => () => observation.within(inner), work)(),
        step: <T>(step: ObservedStep, work: (observation: StepObservation) => Promise<T>) => {
          const steps: StepObservation[] = [];
          const all: StepObservation = {
            get traceparent() {
              return steps.find((observation) => observation.traceparent !== undefined)?.traceparent;
            },
            attempt: (attempt) => steps.forEach((observation) => observation.attempt(attempt)),
            ended: (outcome) => steps.forEach((observation) => observation.ended(outcome)),
          };
          return runs.reduceRight<() => Promise<T>>((inner, observation) => () => observation.step(step, (one) => (steps.push(one), inner())), () => work(all))();
        },
        decision: (record) => runs.forEach((observation) => observation.decision(record)),
        ended: (result) => runs.forEach((observation) => observation.ended(result)),
      };
    },
    flush: async () => {
      await Promise.all(observers.map((observer) => observer.flush()));
    },
  };
}
