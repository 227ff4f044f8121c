import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineTool, defineWorkflow, openOperator, openStore, usd, type Store } from "../../src/index.ts";
import { createTelemetry } from "../../src/telemetry/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

/** A local HTTP service the tool calls; it records the traceparent header of every request. */
async function startService(): Promise<{ url: string; traceparents: string[]; close(): Promise<void> }> {
  const traceparents: string[] = [];
  const server: Server = createServer((request, response) => {
    traceparents.push(String(request.headers.traceparent ?? ""));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ rate: 1.08 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rate`, traceparents, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function definitions(serviceUrl: string) {
  const rate = defineTool({
    name: "rate",
    description: "the exchange rate, from a remote service",
    input: z.object({ currency: z.string() }),
    output: z.object({ rate: z.number() }),
    price: 5,
    run: async (_input, context) => {
      const response = await fetch(serviceUrl, { headers: context.traceparent ? { traceparent: context.traceparent } : {}, signal: context.signal });
      return (await response.json()) as { rate: number };
    },
  });
  const analyst = defineAgent({ name: "analyst", owner: "t", purpose: "converts", model: "scripted:model", instructions: "Convert.", tools: [rate], grants: [{ scope: "tool:rate" }] });
  const clerk = defineAgent({ name: "clerk", owner: "t", purpose: "files", input: z.string(), output: z.string(), run: (input) => `filed ${input}` });
  const filing = defineWorkflow({ name: "filing", input: z.string(), output: z.string(), run: (input, ctx) => ctx.call(clerk, input) });
  const convert = defineWorkflow({
    name: "convert",
    input: z.object({ amount: z.number() }),
    output: z.string(),
    budget: { perRun: usd(1), allocation: usd(10) },
    run: async (input, ctx) => {
      const answer = await ctx.call(analyst, `Convert ${input.amount} EUR to USD`);
      const filed = await ctx.call(filing, answer, { budget: 0 });
      await ctx.approval("ship", { request: { filed } });
      return filed;
    },
  });
  return { agents: [analyst, clerk], workflows: [convert, filing] };
}

const spanNamed = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name);
  expect(found, `spans named ${name}: ${spans.map((span) => span.name).join(", ")}`).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe.each(await dialects())("OpenTelemetry traces with an in-memory exporter on %s", (dialect) => {
  let location: TestStoreLocation | undefined;
  let store: Store | undefined;
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  afterEach(async () => {
    await store?.close();
    await location?.cleanup();
    await service?.close();
    store = location = service = undefined;
  });

  it("one trace per run, child run included: a span per step with GenAI attributes, cost, attempt, idempotency key, gateway decisions; traceparent sent by HTTP tools", async () => {
    location = await freshStoreLocation(dialect);
    store = await openStore(location.location);
    service = await startService();
    const exporter = new InMemorySpanExporter();
    const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const telemetry = createTelemetry({ spanExporter: exporter, metricReaders: [new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 })] });
    const model = createScriptedModel({
      script: [{ toolCalls: [{ name: "rate", arguments: { currency: "USD" } }], usage: { promptTokens: 30, completionTokens: 6 } }, { text: "108 USD", usage: { promptTokens: 50, completionTokens: 4 } }],
    });
    const models = { instances: { "scripted:model": model }, prices: { "scripted:model": { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } } };
    const { agents, workflows } = definitions(service.url);

    const first = await Runtime.open({ store, agents, workflows, models, observers: [telemetry] });
    const handle = await first.start("convert", { amount: 100 });
    expect(await handle.result()).toMatchObject({ status: "waiting" });
    const steps = await first.getSteps(handle.runId);
    await first.close();

    const spans = exporter.getFinishedSpans();
    const traceId = spans[0]!.spanContext().traceId;
    expect(spans.every((span) => span.spanContext().traceId === traceId)).toBe(true);

    const run = spanNamed(spans, "invoke_workflow convert");
    expect(parentOf(run)).toBeUndefined();
    expect(run.attributes).toMatchObject({ "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "convert", "cadre.run.id": handle.runId, "cadre.run.status": "waiting" });

    const agent = spanNamed(spans, "invoke_agent analyst");
    expect(parentOf(agent)).toBe(run.spanContext().spanId);
    const agentStep = steps.find((step) => step.key === "1:analyst")!;
    expect(agent.attributes).toMatchObject({ "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "analyst", "cadre.step.key": "1:analyst", "cadre.step.attempt": 1, "cadre.idempotency_key": agentStep.idempotencyKey, "cadre.step.status": "completed" });

    const chats = spans.filter((span) => span.name === "chat model");
    expect(chats).toHaveLength(2);
    for (const chat of chats) expect(parentOf(chat)).toBe(agent.spanContext().spanId);
    const firstChat = chats.find((span) => span.attributes["cadre.step.key"] === "1.t/1:model")!;
    // 30 input tokens at 1 micro-unit, 6 output at 2.
    expect(firstChat.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.request.model": "model", "gen_ai.provider.name": "scripted", "gen_ai.agent.name": "analyst", "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 6, "cadre.cost_micros": 42 });
    expect(firstChat.events.map((event) => event.name)).toEqual(["gateway.allow", "gateway.settle"]);
    expect(firstChat.events[1]!.attributes).toMatchObject({ chargedMicros: 42, subject: "model:scripted:model" });

    const tool = spanNamed(spans, "execute_tool rate");
    expect(parentOf(tool)).toBe(agent.spanContext().spanId);
    expect(tool.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "rate", "cadre.cost_micros": 5 });
    // The remote service got the tool span's context: it joins the run's trace as the tool's child.
    expect(service.traceparents).toEqual([`00-${traceId}-${tool.spanContext().spanId}-01`]);

    const childStep = spanNamed(spans, "workflow filing");
    expect(parentOf(childStep)).toBe(run.spanContext().spanId);
    const childRun = spanNamed(spans, "invoke_workflow filing");
    expect(parentOf(childRun)).toBe(childStep.spanContext().spanId);
    const clerk = spanNamed(spans, "invoke_agent clerk");
    expect(parentOf(clerk)).toBe(childRun.spanContext().spanId);
    expect(childRun.attributes).toMatchObject({ "cadre.run.parent_id": handle.runId });

    // The trace context is stored on the runs: the parent's and the child's are in the same trace.
    const records = await openOperator({ store }).runs.list({});
    const stored = (await Promise.all(records.items.map((record) => first.getRun(record.id)))).map((record) => record!.traceContext);
    expect(stored.every((traceparent) => traceparent?.startsWith(`00-${traceId}-`))).toBe(true);

    const exported = metrics.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const metric = (name: string) => exported.find((candidate) => candidate.descriptor.name === name)!;
    const tokens = metric("cadre.model.tokens").dataPoints.map((point) => [point.attributes["gen_ai.token.type"], point.value]);
    expect(tokens).toEqual(expect.arrayContaining([["input", 80], ["output", 10]]));
    const latency = metric("cadre.step.duration").dataPoints.find((point) => point.attributes["gen_ai.agent.name"] === "analyst" && point.attributes["cadre.step.type"] === "agent");
    expect(latency?.value).toMatchObject({ count: 1 });
    const spend = metric("cadre.spend").dataPoints.reduce((sum, point) => sum + Number(point.value), 0);
    // The model calls: 30 + 2 × 6 and 50 + 2 × 4; the tool: 5.
    expect(spend).toBe(42 + 58 + 5);

    // Resumed by another runtime: a new execution span, in the same trace, under the first one.
    exporter.reset();
    await openOperator({ store }).approvals.approve(handle.runId, "ship");
    const second = await Runtime.open({ store, agents, workflows, models, observers: [createTelemetry({ spanExporter: exporter })] });
    expect(await (await second.resume(handle.runId)).result()).toMatchObject({ status: "completed", output: "filed 108 USD" });
    await second.close();
    const resumedSpans = exporter.getFinishedSpans();
    const resumed = spanNamed(resumedSpans, "invoke_workflow convert");
    expect(resumed.spanContext().traceId).toBe(traceId);
    expect(parentOf(resumed)).toBe(run.spanContext().spanId);
    expect(resumed.attributes).toMatchObject({ "cadre.run.resumed": true, "cadre.run.status": "completed" });
    // Replayed steps did nothing this time: no spans for them.
    expect(resumedSpans.map((span) => span.name)).toEqual(["invoke_workflow convert"]);
  });

  it("a retried model step is one span: its attempts' decisions as events, the last attempt's number, an error before the first token charged nothing", async () => {
    location = await freshStoreLocation(dialect);
    store = await openStore(location.location);
    const exporter = new InMemorySpanExporter();
    const model = createScriptedModel({ script: [{ error: { status: 503, message: "busy" } }, { text: "done", usage: { promptTokens: 10, completionTokens: 1 } }] });
    const writer = defineAgent({ name: "writer", owner: "t", purpose: "writes", model: "scripted:model", instructions: "Write." });
    const write = defineWorkflow({ name: "write", input: z.string(), output: z.string(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(writer, input) });
    const runtime = await Runtime.open({
      store,
      agents: [writer],
      workflows: [write],
      models: { instances: { "scripted:model": model }, prices: { "scripted:model": { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } } },
      observers: [createTelemetry({ spanExporter: exporter })],
    });
    expect(await (await runtime.start(write, "x")).result()).toMatchObject({ status: "completed", output: "done" });
    await runtime.close();
    const chat = spanNamed(exporter.getFinishedSpans(), "chat model");
    expect(chat.events.map((event) => `${event.name}#${event.attributes?.attempt}`)).toEqual(["gateway.allow#1", "gateway.release#1", "gateway.allow#2", "gateway.settle#2"]);
    expect(chat.events[1]!.attributes).toMatchObject({ chargedMicros: 0, error: "MODEL_ERROR" });
    expect(chat.attributes).toMatchObject({ "cadre.step.attempt": 2, "cadre.cost_micros": 11, "cadre.step.status": "completed" });
  });
});
