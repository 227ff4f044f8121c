import { SpanStatusCode, context, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { ObservedRun, ObservedStep, RunObservation, StepObservation } from "../engine/run-observer.ts";
import type { RunStatus } from "../store/schema.ts";
import type { SerializedError } from "../errors.ts";
import { operationOf, stepAttributes } from "./attributes.ts";
import type { CadreMetrics } from "./metrics.ts";
import { StepSpan } from "./step-span.ts";
import { traceparentOf } from "./trace-context.ts";

/**
 * One execution of a run as a span: the workflow runs inside its context, so every step's span
 * is its descendant (an agent's model and tool calls under the agent's span), and a child run
 * started by a step is a child of that step's span, in the same trace.
 */
export class RunSpan implements RunObservation {
  readonly traceContext: string | undefined;
  readonly #tracer: Tracer;
  readonly #metrics: CadreMetrics | undefined;
  readonly #run: ObservedRun;
  readonly #span: Span;
  readonly #context: Context;
  /** Steps whose span is still open, by key (a key is observed once per execution). */
  readonly #steps = new Map<string, StepSpan>();

  constructor(options: { tracer: Tracer; metrics: CadreMetrics | undefined; run: ObservedRun; parent: Context }) {
    const { run } = options;
    this.#tracer = options.tracer;
    this.#metrics = options.metrics;
    this.#run = run;
    this.#span = options.tracer.startSpan(
      `invoke_workflow ${run.workflow}`,
      {
        attributes: {
          "cadre.run.id": run.runId,
          "cadre.run.resumed": run.resumed,
          "cadre.principal": run.principal,
          "gen_ai.operation.name": "invoke_workflow",
          "gen_ai.workflow.name": run.workflow,
          ...(run.parentRunId ? { "cadre.run.parent_id": run.parentRunId } : {}),
        },
      },
      options.parent,
    );
    this.#context = trace.setSpan(options.parent, this.#span);
    this.traceContext = run.traceContext ?? traceparentOf(this.#context);
  }

  within<T>(work: () => Promise<T>): Promise<T> {
    return context.with(this.#context, work);
  }

  step<T>(step: ObservedStep, work: (observation: StepObservation) => Promise<T>): Promise<T> {
    const parent = context.active();
    const span = this.#tracer.startSpan(operationOf(step).spanName, { attributes: stepAttributes(step, this.#run) }, parent);
    const stepContext = trace.setSpan(parent, span);
    const observation = new StepSpan({ span, step, traceparent: traceparentOf(stepContext), metrics: this.#metrics });
    this.#steps.get(step.key)?.close();
    this.#steps.set(step.key, observation);
    return context.with(stepContext, () => work(observation));
  }

  decision(record: { kind: string; stepKey: string; agent?: string | undefined; data: Record<string, unknown> }): void {
    this.#steps.get(record.stepKey)?.decision(record);
  }

  ended(result: { status: RunStatus; error?: SerializedError | undefined; durationMs: number }): void {
    // Settlements are written before the run's end: what is still open did not settle (a lost lease, a closed store).
    for (const step of this.#steps.values()) step.close();
    this.#steps.clear();
    this.#span.setAttribute("cadre.run.status", result.status);
    if (result.status === "failed") {
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message ?? "the run failed" });
      if (result.error) this.#span.setAttribute("error.type", result.error.code);
    } else if (result.status !== "waiting") {
      this.#span.setStatus({ code: SpanStatusCode.OK });
    }
    this.#span.end();
    this.#metrics?.run({ workflow: this.#run.workflow, status: result.status, durationMs: result.durationMs });
  }
}
