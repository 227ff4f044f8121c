import type { RuntimeObserver } from "../engine/run-observer.ts";
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace";
import { observerFor } from "./providers.ts";
import type { TelemetrySettings } from "./telemetry-settings.ts";

/** One set of providers per process and settings: several runtimes in a process share their exporters. */
const opened = new Map<string, Promise<RuntimeObserver>>();

/**
 * OpenTelemetry as the settings say: spans and metrics exported over OTLP/HTTP, in JSON or
 * protobuf, to the collector's `/v1/traces` and `/v1/metrics`. Loaded by the runtime with a
 * dynamic import only when telemetry is on.
 */
export function openTelemetry(settings: TelemetrySettings): Promise<RuntimeObserver> {
  const key = JSON.stringify(settings);
  let observer = opened.get(key);
  if (!observer) opened.set(key, (observer = createObserver(settings)));
  return observer;
}

async function createObserver(settings: TelemetrySettings): Promise<RuntimeObserver> {
  const json = settings.protocol === "http/json";
  const { OTLPTraceExporter } = json ? await import("@opentelemetry/exporter-trace-otlp-http") : await import("@opentelemetry/exporter-trace-otlp-proto");
  const spans = new OTLPTraceExporter({ url: `${settings.endpoint}/v1/traces`, headers: settings.headers });
  const metricReaders = [];
  if (settings.metrics) {
    const { OTLPMetricExporter } = json ? await import("@opentelemetry/exporter-metrics-otlp-http") : await import("@opentelemetry/exporter-metrics-otlp-proto");
    const exporter = new OTLPMetricExporter({ url: `${settings.endpoint}/v1/metrics`, headers: settings.headers });
    metricReaders.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: settings.metricsIntervalMs }));
  }
  return observerFor({ serviceName: settings.serviceName, spanProcessors: [new BatchSpanProcessor({ exporter: spans })], metricReaders });
}
