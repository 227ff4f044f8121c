import { ConfigurationError } from "../errors.ts";

// Read by the runtime for every process: it must load nothing of OpenTelemetry.

/** The OTLP wire formats Cadre exports in (OTLP over HTTP). */
export type OtlpProtocol = "http/json" | "http/protobuf";

/**
 * OpenTelemetry traces and metrics, the `telemetry` entry of a config or `Runtime.open`
 * options. Giving it turns telemetry on (unless `enabled: false`); without it, setting
 * `OTEL_EXPORTER_OTLP_ENDPOINT` does. `OTEL_SDK_DISABLED=true` turns it off whatever is given.
 */
export interface TelemetryOptions {
  /** Default true when this entry is given. */
  enabled?: boolean;
  /** The OTLP/HTTP collector's base URL (default `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318`): traces go to `/v1/traces`, metrics to `/v1/metrics`. */
  endpoint?: string;
  /** Default `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf` (the OTLP default). */
  protocol?: OtlpProtocol;
  /** Default `OTEL_SERVICE_NAME`, else `cadre`. */
  serviceName?: string;
  /** Sent with every export (e.g. an API key of a hosted backend); `OTEL_EXPORTER_OTLP_HEADERS` is read too. */
  headers?: Record<string, string>;
  /** Export metrics too: step latency per agent, tokens, errors, spend (default true). */
  metrics?: boolean;
  /** How often metrics are exported, in ms (default `OTEL_METRIC_EXPORT_INTERVAL`, else 60 000); a runtime's close exports at once. */
  metricsIntervalMs?: number;
}

/** The telemetry a runtime turns on: every default applied. */
export interface TelemetrySettings {
  endpoint: string;
  protocol: OtlpProtocol;
  serviceName: string;
  headers: Record<string, string>;
  metrics: boolean;
  metricsIntervalMs: number;
}

const protocols: readonly OtlpProtocol[] = ["http/json", "http/protobuf"];

/** Whether telemetry is on, and how: undefined when off (nothing of OpenTelemetry is loaded then). */
export function resolveTelemetrySettings(options: TelemetryOptions | undefined, environment: NodeJS.ProcessEnv = process.env): TelemetrySettings | undefined {
  if (environment.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  if (options?.enabled === false) return undefined;
  const fromEnvironment = environment.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!options && !fromEnvironment) return undefined;
  const protocol = options?.protocol ?? (environment.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || "http/protobuf");
  if (!protocols.includes(protocol as OtlpProtocol)) {
    const where = options?.protocol ? "telemetry.protocol" : "OTEL_EXPORTER_OTLP_PROTOCOL";
    throw new ConfigurationError({ message: `${where} is "${protocol}"; Cadre exports OTLP over HTTP: use "http/json" or "http/protobuf".`, field: where, value: protocol });
  }
  const interval = options?.metricsIntervalMs ?? Number(environment.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new ConfigurationError({ message: `The metrics export interval must be a positive number of milliseconds; got ${interval}.`, field: "telemetry.metricsIntervalMs", value: interval });
  }
  const endpoint = options?.endpoint ?? fromEnvironment ?? "http://localhost:4318";
  try {
    new URL(endpoint);
  } catch {
    throw new ConfigurationError({ message: `The OTLP endpoint "${endpoint}" is not a URL; give the collector's base URL, e.g. http://localhost:4318.`, field: "telemetry.endpoint", value: endpoint });
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ""),
    protocol: protocol as OtlpProtocol,
    serviceName: options?.serviceName ?? (environment.OTEL_SERVICE_NAME?.trim() || "cadre"),
    headers: options?.headers ?? {},
    metrics: options?.metrics ?? true,
    metricsIntervalMs: interval,
  };
}
