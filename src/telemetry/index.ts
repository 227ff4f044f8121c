/**
 * `cadre/telemetry`: OpenTelemetry for runtimes whose exporters are chosen in code (an
 * in-memory exporter in tests, a vendor's exporter, a console exporter). Without it, the
 * `telemetry` option or `OTEL_EXPORTER_OTLP_ENDPOINT` turns on OTLP/HTTP export.
 */
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import { SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";
import type { RuntimeObserver } from "../engine/run-observer.ts";
import { observerFor } from "./providers.ts";

export interface CreateTelemetryOptions {
  /** Default `cadre`. */
  serviceName?: string;
  /** Each span is exported as it ends (a SimpleSpanProcessor). */
  spanExporter?: SpanExporter;
  /** Or the processors to use, e.g. a BatchSpanProcessor. */
  spanProcessors?: SpanProcessor[];
  /** Readers of the metrics (a PeriodicExportingMetricReader, or an in-memory one in tests). */
  metricReaders?: MetricReader[];
}

/** A runtime observer that traces runs and measures them with these exporters: pass it as `Runtime.open({ observers: [...] })`. */
export function createTelemetry(options: CreateTelemetryOptions = {}): RuntimeObserver {
  const spanProcessors = [...(options.spanProcessors ?? []), ...(options.spanExporter ? [new SimpleSpanProcessor({ exporter: options.spanExporter })] : [])];
  return observerFor({ serviceName: options.serviceName ?? "cadre", spanProcessors, metricReaders: options.metricReaders ?? [] });
}

export { resolveTelemetrySettings } from "./telemetry-settings.ts";
export type { TelemetryOptions, TelemetrySettings, OtlpProtocol } from "./telemetry-settings.ts";
export type { RuntimeObserver, RunObservation, StepObservation, ObservedRun, ObservedStep } from "../engine/run-observer.ts";
