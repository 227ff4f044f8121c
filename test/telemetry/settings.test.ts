import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveTelemetrySettings } from "../../src/telemetry/telemetry-settings.ts";
import { repositoryRoot } from "../helpers/cli.ts";

describe("when telemetry is on, and how", () => {
  it("is off by default and on with OTEL_EXPORTER_OTLP_ENDPOINT, honouring the protocol and service name", () => {
    expect(resolveTelemetrySettings(undefined, {})).toBeUndefined();
    expect(resolveTelemetrySettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "billing" })).toEqual({
      endpoint: "http://collector:4318",
      protocol: "http/json",
      serviceName: "billing",
      headers: {},
      metrics: true,
      metricsIntervalMs: 60_000,
    });
    expect(resolveTelemetrySettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toMatchObject({ protocol: "http/protobuf", serviceName: "cadre" });
  });

  it("a telemetry entry turns it on; enabled: false and OTEL_SDK_DISABLED turn it off", () => {
    expect(resolveTelemetrySettings({ serviceName: "desk", protocol: "http/json" }, {})).toMatchObject({ endpoint: "http://localhost:4318", serviceName: "desk", protocol: "http/json" });
    expect(resolveTelemetrySettings({ enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBeUndefined();
    expect(resolveTelemetrySettings({ endpoint: "http://collector:4318" }, { OTEL_SDK_DISABLED: "TRUE" })).toBeUndefined();
  });

  it("refuses a protocol it cannot speak and an endpoint that is not a URL, saying where", () => {
    expect(() => resolveTelemetrySettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: { field: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" } }));
    expect(() => resolveTelemetrySettings({ endpoint: "collector" }, {})).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: { field: "telemetry.endpoint", value: "collector" } }));
  });
});

/** Runs a workflow with the built package in a fresh process and lists the OpenTelemetry modules it loaded. */
function loadedOpenTelemetry(env: Record<string, string>): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const loaded = [];
    registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); if (result.url.includes("@opentelemetry")) loaded.push(result.url); return result; } });
    const { Runtime, defineWorkflow } = await import(${JSON.stringify(join(repositoryRoot, "dist/index.js"))});
    const { z } = await import("zod");
    const flow = defineWorkflow({ name: "flow", input: z.any(), output: z.any(), run: (input, ctx) => ctx.step("s", () => 1) });
    const runtime = await Runtime.open({ store: ":memory:", workflows: [flow] });
    await (await runtime.start(flow, {})).result();
    await runtime.close();
    console.log(JSON.stringify(loaded));
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repositoryRoot, encoding: "utf8", env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "", ...env } });
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout) as string[];
}

describe("nothing of OpenTelemetry loads when telemetry is off", () => {
  it("off: no @opentelemetry module is resolved; on: the SDK and the exporter are", () => {
    expect(loadedOpenTelemetry({})).toEqual([]);
    // An endpoint nobody listens on: the export fails quietly, the run is unaffected.
    const on = loadedOpenTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
    expect(on.some((url) => url.includes("@opentelemetry/sdk-trace"))).toBe(true);
    expect(on.some((url) => url.includes("@opentelemetry/exporter-trace-otlp-http"))).toBe(true);
  }, 60_000);
});
