import { SpanStatusCode, type Span } from "@opentelemetry/api";
import type { ObservedStep, StepObservation } from "../engine/run-observer.ts";
import type { SerializedError } from "../errors.ts";
import { eventAttributes, modelOf } from "./attributes.ts";
import type { CadreMetrics } from "./metrics.ts";

/** Records that close an attempt's governance: its settlement or release, its step.end, or its refusal. */
const closingKinds = new Set(["gateway.settle", "gateway.release", "step.end", "gateway.deny"]);

/**
 * One step's span. Its outcome is known when the effect returns, but its settlement (the
 * cost, the tokens) is written behind, with the next commit of the run: the span waits for
 * the settlement of its last attempt before it ends, and ends at the time the effect did.
 * Gateway decisions become span events; one told twice (a batch written again) is kept once.
 */
export class StepSpan implements StepObservation {
  readonly traceparent: string | undefined;
  readonly #span: Span;
  readonly #step: ObservedStep;
  readonly #metrics: CadreMetrics | undefined;
  readonly #startedAt = Date.now();
  readonly #seen = new Set<string>();
  readonly #closedAttempts = new Set<number>();
  #attempt: number;
  #costMicros = 0;
  #outcome: { status: string; error?: SerializedError | undefined; at: number } | undefined;
  #ended = false;

  constructor(options: { span: Span; step: ObservedStep; traceparent: string | undefined; metrics: CadreMetrics | undefined }) {
    this.#span = options.span;
    this.#step = options.step;
    this.#metrics = options.metrics;
    this.traceparent = options.traceparent;
    this.#attempt = options.step.attempt;
  }

  attempt(attempt: number): void {
    this.#attempt = Math.max(this.#attempt, attempt);
    this.#span.setAttribute("cadre.step.attempt", this.#attempt);
  }

  decision(record: { kind: string; agent?: string | undefined; data: Record<string, unknown> }): void {
    if (this.#ended) return;
    const attempt = Number(record.data.attempt ?? this.#attempt);
    const once = `${record.kind}:${attempt}`;
    if (this.#seen.has(once)) return;
    this.#seen.add(once);
    if (attempt > this.#attempt) this.attempt(attempt);
    this.#span.addEvent(record.kind, eventAttributes(record.data));
    if (record.kind === "gateway.settle" || record.kind === "gateway.release") this.#charged(record);
    if (closingKinds.has(record.kind)) {
      this.#closedAttempts.add(attempt);
      this.#endWhenSettled();
    }
  }

  ended(outcome: { status: "completed" | "failed" | "waiting"; error?: SerializedError | undefined }): void {
    this.#outcome = { ...outcome, at: Date.now() };
    this.#endWhenSettled();
  }

  /** Ends the span now, settled or not (the run ended). */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    const outcome = this.#outcome ?? { status: "failed", error: undefined, at: Date.now() };
    this.#span.setAttribute("cadre.step.status", outcome.status);
    this.#span.setAttribute("cadre.cost_micros", this.#costMicros);
    if (outcome.status === "failed") {
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.message ?? "the step did not finish" });
      if (outcome.error) this.#span.setAttribute("error.type", outcome.error.code);
    } else if (outcome.status === "completed") {
      this.#span.setStatus({ code: SpanStatusCode.OK });
    }
    this.#span.end(outcome.at);
    this.#metrics?.step({ type: this.#step.type, agent: this.#step.agent, status: outcome.status, durationMs: outcome.at - this.#startedAt, errorCode: outcome.error?.code });
  }

  #endWhenSettled(): void {
    if (!this.#outcome) return;
    if (this.#step.settles && !this.#closedAttempts.has(this.#attempt)) return;
    this.close();
  }

  #charged(record: { agent?: string | undefined; data: Record<string, unknown> }): void {
    const charged = Number(record.data.chargedMicros ?? 0);
    this.#costMicros += charged;
    const units = (record.data.units ?? {}) as { inputTokens?: number; outputTokens?: number };
    const model = modelOf(String(record.data.subject ?? this.#step.subject ?? ""));
    if (model) {
      if (units.inputTokens !== undefined) this.#span.setAttribute("gen_ai.usage.input_tokens", units.inputTokens);
      if (units.outputTokens !== undefined) this.#span.setAttribute("gen_ai.usage.output_tokens", units.outputTokens);
    }
    this.#metrics?.charged({ agent: record.agent ?? this.#step.agent ?? undefined, subject: String(record.data.subject ?? this.#step.subject ?? "unknown"), costMicros: charged, model: model?.model, inputTokens: units.inputTokens, outputTokens: units.outputTokens });
  }
}
