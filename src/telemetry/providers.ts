import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader } from "@opentelemetry/sdk-metrics";
import { TracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { OtelObserver } from "./otel-observer.ts";

let contextManagerSet = false;

/**
 * Spans must follow async calls (a step's span is the parent of what its effect does): the
 * API needs a context manager for that. Set once per process; one already set (by the
 * application's own OpenTelemetry setup) is kept.
 */
function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Tracer and meter providers feeding the given processors and readers, as a runtime observer. */
export function observerFor(options: { serviceName: string; spanProcessors: SpanProcessor[]; metricReaders: MetricReader[] }): OtelObserver {
  ensureContextManager();
  const resource = resourceFromAttributes({ "service.name": options.serviceName });
  const tracerProvider = new TracerProvider({ resource, spanProcessors: options.spanProcessors });
  const meterProvider = options.metricReaders.length > 0 ? new MeterProvider({ resource, readers: options.metricReaders }) : undefined;
  return new OtelObserver({
    tracer: tracerProvider.getTracer("cadre"),
    meter: meterProvider?.getMeter("cadre"),
    flush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider?.forceFlush()]);
    },
  });
}

