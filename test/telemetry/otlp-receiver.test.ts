import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repositoryRoot, type CliResult } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/telemetry/cadre.config.ts");

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local OTLP/HTTP receiver: records every export and answers as a collector does. */
async function startReceiver(): Promise<{ endpoint: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      const json = String(request.headers["content-type"]).includes("json");
      response.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
      response.end(json ? "{}" : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The built CLI in a child process, not blocking this one (the receiver answers from here). */
function cadre(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repositoryRoot, "dist/cli/main.js"), ...args], { cwd: repositoryRoot, env: { ...process.env, NO_COLOR: "1", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

function spansOf(received: Received[]): { spans: OtlpSpan[]; serviceNames: string[] } {
  const exports = received.filter((request) => request.path === "/v1/traces").map((request) => JSON.parse(request.body.toString("utf8")));
  const resourceSpans = exports.flatMap((body) => body.resourceSpans as Array<{ resource: { attributes: OtlpSpan["attributes"] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>);
  return {
    spans: resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
    serviceNames: resourceSpans.map((resource) => String(resource.resource.attributes.find((attribute) => attribute.key === "service.name")?.value.stringValue)),
  };
}

const attribute = (span: OtlpSpan, key: string) => Object.values(span.attributes.find((candidate) => candidate.key === key)?.value ?? {})[0];

describe("OpenTelemetry from a real CLI run to a local OTLP/HTTP receiver", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT with http/json: the run's spans (one trace, child run included) and its metrics arrive", async () => {
    receiver = await startReceiver();
    const store = join(mkdtempSync(join(tmpdir(), "cadre-otlp-")), "cadre.db");
    const result = await cadre(["--store", store, "--config", config, "run", "define", "--input", '{"word":"cadre"}'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "cadre-otlp-test",
    });
    expect(result.stderr).not.toContain("Error");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toBe("filed: the meaning of cadre");

    const { spans, serviceNames } = spansOf(receiver.received);
    expect(new Set(serviceNames)).toEqual(new Set(["cadre-otlp-test"]));
    expect(receiver.received.every((request) => String(request.headers["content-type"]).startsWith("application/json"))).toBe(true);
    const names = spans.map((span) => span.name).sort();
    expect(names).toEqual(["execute_tool lookup", "invoke_agent archivist", "invoke_agent reader", "invoke_workflow archive", "invoke_workflow define", "workflow archive"].sort());
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    const byName = (name: string) => spans.find((span) => span.name === name)!;
    expect(byName("invoke_workflow define").parentSpanId ?? "").toBe("");
    expect(byName("execute_tool lookup").parentSpanId).toBe(byName("invoke_agent reader").spanId);
    expect(byName("invoke_workflow archive").parentSpanId).toBe(byName("workflow archive").spanId);
    expect(Number(attribute(byName("execute_tool lookup"), "cadre.cost_micros"))).toBe(7);
    expect(attribute(byName("invoke_agent reader"), "gen_ai.agent.name")).toBe("reader");

    const metrics = receiver.received.filter((request) => request.path === "/v1/metrics").map((request) => JSON.parse(request.body.toString("utf8")));
    const metricNames = metrics.flatMap((body) => body.resourceMetrics.flatMap((resource: { scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }) => resource.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.name))));
    expect(metricNames).toEqual(expect.arrayContaining(["cadre.step.duration", "cadre.spend", "cadre.run.duration"]));
  }, 120_000);

  it("a `telemetry` entry in the config turns it on without OTEL_* variables", async () => {
    receiver = await startReceiver();
    const store = join(mkdtempSync(join(tmpdir(), "cadre-otlp-")), "cadre.db");
    const withEntry = join(import.meta.dirname, "../fixtures/telemetry/with-entry.config.ts");
    const result = await cadre(["--store", store, "--config", withEntry, "run", "define", "--input", '{"word":"entry"}'], { TEST_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_ENDPOINT: "" });
    expect(result.status).toBe(0);
    const { spans, serviceNames } = spansOf(receiver.received);
    expect(new Set(serviceNames)).toEqual(new Set(["from-config"]));
    expect(spans.map((span) => span.name)).toContain("invoke_workflow define");
    // metrics: false in the entry: no metrics export.
    expect(receiver.received.filter((request) => request.path === "/v1/metrics")).toEqual([]);
  }, 120_000);

  it("http/protobuf sends protobuf; OTEL_SDK_DISABLED=true sends nothing", async () => {
    receiver = await startReceiver();
    const store = join(mkdtempSync(join(tmpdir(), "cadre-otlp-")), "cadre.db");
    const run = (env: Record<string, string>) => cadre(["--store", store, "--config", config, "run", "define", "--input", '{"word":"x"}'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver!.endpoint, ...env });
    expect((await run({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).status).toBe(0);
    const traces = receiver.received.filter((request) => request.path === "/v1/traces");
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.every((request) => request.headers["content-type"] === "application/x-protobuf" && request.body.length > 0)).toBe(true);
    // The span names travel inside the protobuf payload.
    expect(Buffer.concat(traces.map((request) => request.body)).toString("latin1")).toContain("invoke_agent reader");

    receiver.received.length = 0;
    expect((await run({ OTEL_SDK_DISABLED: "true" })).status).toBe(0);
    expect(receiver.received).toEqual([]);
  }, 120_000);
});
