import { context, type Meter, type Tracer } from "@opentelemetry/api";
import type { ObservedRun, RunObservation, RuntimeObserver } from "../engine/run-observer.ts";
import { CadreMetrics } from "./metrics.ts";
import { RunSpan } from "./run-span.ts";
import { contextFrom } from "./trace-context.ts";

/**
 * The runtime's observer over an OpenTelemetry tracer (and meter): one trace per run. A run's
 * first execution starts its span under whatever span is active (a parent run's step, or the
 * caller's own span), and the run stores that span's traceparent; every later execution (a
 * resume, in any process) starts under the stored one, so all of them share one trace.
 */
export class OtelObserver implements RuntimeObserver {
  readonly #tracer: Tracer;
  readonly #metrics: CadreMetrics | undefined;
  readonly #flush: () => Promise<void>;

  constructor(options: { tracer: Tracer; meter?: Meter | undefined; flush(): Promise<void> }) {
    this.#tracer = options.tracer;
    this.#metrics = options.meter ? new CadreMetrics(options.meter) : undefined;
    this.#flush = options.flush;
  }

  runStarted(run: ObservedRun): RunObservation {
    const parent = run.traceContext ? contextFrom(run.traceContext) : context.active();
    return new RunSpan({ tracer: this.#tracer, metrics: this.#metrics, run, parent });
  }

  flush(): Promise<void> {
    return this.#flush();
  }
}
