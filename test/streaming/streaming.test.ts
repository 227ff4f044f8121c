import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineWorkflow, openStore, openOperator, spendReport, usd, type RuntimeEvent, type Store } from "../../src/index.ts";
import { createScriptedModel, type ScriptedResponse } from "../../src/testing/index.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { askWorkflow, collect, price, weatherTool, writer } from "./stream-fixtures.ts";

const answer = "It is sunny in Lisbon today, with a light breeze from the ocean and no rain expected.";

describe.each(await dialects())("streaming model agents with the scripted model on %s", (dialect) => {
  let location: TestStoreLocation | undefined;
  let store: Store | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await store?.close();
    await location?.cleanup();
    runtime = store = location = undefined;
  });

  async function open(script: ScriptedResponse[], workflowFor: typeof askWorkflow = askWorkflow) {
    location = await freshStoreLocation(dialect);
    store = await openStore(location.location);
    const model = createScriptedModel({ script });
    const agent = writer("scripted:model", weatherTool());
    const workflow = workflowFor(agent);
    runtime = await Runtime.open({ store, agents: [agent], workflows: [workflow], models: { instances: { "scripted:model": model }, prices: { "scripted:model": price } } });
    return { model, workflow, runtime };
  }

  it("forwards text deltas in order: they concatenate to the journaled answer, through handle.events() and runtime.on", async () => {
    const { runtime: rt, workflow } = await open([{ toolCalls: [{ name: "weather", arguments: { city: "Lisbon" } }] }, { text: answer, usage: { promptTokens: 40, completionTokens: 20 } }]);
    const fromBus: string[] = [];
    rt.on("model-delta", (event) => fromBus.push(event.text));
    const everything: RuntimeEvent[] = [];
    rt.onAny((event) => everything.push(event));
    const handle = await rt.start(workflow, { question: "Weather in Lisbon?" });
    // Opened after start returned: the stream still begins at the run's first event.
    const events = await collect(handle.events());
    const result = await handle.result();
    expect(result).toMatchObject({ status: "completed", output: answer });

    const deltas = events.filter((event): event is Extract<RuntimeEvent, { event: "model-delta" }> => event.event === "model-delta");
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.map((delta) => delta.text).join("")).toBe(answer);
    expect(fromBus.join("")).toBe(answer);
    // The feed of all runs carries the same events, in the same order.
    expect(everything).toEqual(events);
    const steps = await rt.getSteps(result.runId);
    const finalTurn = steps.filter((step) => step.type === "model").at(-1)!;
    expect((finalTurn.output as { text: string }).text).toBe(answer);
    expect(new Set(deltas.map((delta) => delta.stepKey))).toEqual(new Set([finalTurn.key]));
    expect(deltas.every((delta) => delta.agent === "writer" && delta.runId === result.runId)).toBe(true);

    // The run's story in order: start, the steps, the deltas inside their model step, the end last.
    const types = events.map((event) => event.event);
    expect(types[0]).toBe("run-start");
    expect(types.at(-1)).toBe("run-end");
    const finalStart = events.findIndex((event) => event.event === "step-start" && event.key === finalTurn.key);
    const finalEnd = events.findIndex((event) => event.event === "step-end" && event.key === finalTurn.key);
    const firstDelta = events.findIndex((event) => event.event === "model-delta");
    expect(finalStart).toBeLessThan(firstDelta);
    expect(events.findLastIndex((event) => event.event === "model-delta")).toBeLessThan(finalEnd);
    expect(events.filter((event) => event.event === "step-end").map((event) => (event as { key: string }).key)).toEqual(steps.map((step) => step.key));
  });

  it("a resumed run replays the journaled text: no new stream, no deltas, the same answer", async () => {
    const approving = (agent: Parameters<typeof askWorkflow>[0]) =>
      defineWorkflow({
        name: "ask",
        input: z.object({ question: z.string() }),
        output: z.string(),
        budget: { perRun: usd(1), allocation: usd(10) },
        run: async (input, ctx) => {
          const text = await ctx.call(agent, input.question);
          await ctx.approval("publish", { request: { text } });
          return text;
        },
      });
    const { runtime: rt, workflow, model } = await open([{ text: answer }], approving as never);
    const first = await rt.start(workflow, { question: "Weather?" });
    const firstEvents = await collect(first.events());
    expect(await first.result()).toMatchObject({ status: "waiting" });
    expect(firstEvents.filter((event) => event.event === "model-delta").map((event) => (event as { text: string }).text).join("")).toBe(answer);
    expect(firstEvents).toContainEqual(expect.objectContaining({ event: "wait-start", name: "approval:publish", request: { text: answer } }));
    expect(model.callCount).toBe(1);

    await openOperator({ store: store! }).approvals.approve(first.runId, "publish");
    const resumed = await rt.resume(first.runId);
    const resumedEvents = await collect(resumed.events());
    expect(await resumed.result()).toMatchObject({ status: "completed", output: answer });
    expect(model.callCount).toBe(1);
    expect(resumedEvents.filter((event) => event.event === "model-delta")).toEqual([]);
    // The agent call that streamed is replayed whole from the journal.
    expect(resumedEvents).toContainEqual(expect.objectContaining({ event: "step-end", type: "agent", name: "writer", replayed: true }));
  });

  it("a stream that fails before its first token releases its hold and charges nothing", async () => {
    const { runtime: rt, workflow } = await open([{ error: { status: 500, message: "overloaded" } }, { error: { status: 503, message: "still overloaded" } }]);
    const deltas: string[] = [];
    rt.on("model-delta", (event) => deltas.push(event.text));
    const result = await (await rt.start(workflow, { question: "Weather?" })).result();
    expect(result).toMatchObject({ status: "failed", error: { code: "MODEL_ERROR" } });
    expect(deltas).toEqual([]);
    const totals = await ledgerTotals(store!);
    expect(totals).toMatchObject({ held: 0, openHolds: 0 });
    expect(totals.conserved).toBe(totals.funded);
    const releases = (await auditKinds(store!, result.runId)).filter((record) => record.kind === "gateway.release");
    expect(releases.map((record) => record.data.chargedMicros)).toEqual([0, 0]);
    expect(await spendReport(store!.db, { by: "model", runId: result.runId })).toEqual([]);
  });

  it("a stream aborted mid-answer is charged for the tokens that arrived (counted: no usage was reported)", async () => {
    const { runtime: rt, workflow } = await open([{ text: answer, stallAfterPieces: 2 }]);
    const deltas: string[] = [];
    let aborting: Promise<void> | undefined;
    rt.on("model-delta", (event) => {
      deltas.push(event.text);
      // The run is cancelled with the answer half written: the runtime closes, aborting its runs.
      if (deltas.length === 2) aborting = rt.close();
    });
    const result = await (await rt.start(workflow, { question: "Weather?" })).result();
    await aborting;
    runtime = undefined;
    expect(result.status).toBe("failed");
    expect(deltas.join("")).toBe(answer.slice(0, 32));

    const release = (await auditKinds(store!, result.runId)).find((record) => record.kind === "gateway.release" && String(record.data.subject).startsWith("model:"));
    const units = release!.data.units as { inputTokens: number; outputTokens: number };
    // 32 characters arrived: 8 tokens at 4 characters a token; the prompt is estimated, as it was for the hold.
    expect(units.outputTokens).toBe(8);
    expect(units.inputTokens).toBeGreaterThan(0);
    expect(release!.data.chargedMicros).toBe(units.inputTokens * 1 + units.outputTokens * 2);
    const [byModel] = await spendReport(store!.db, { by: "model", runId: result.runId });
    expect(byModel).toMatchObject({ key: "scripted:model", spentMicros: units.inputTokens + 16, outputTokens: 8 });
    const totals = await ledgerTotals(store!);
    expect(totals.held).toBe(0);
    expect(totals.conserved).toBe(totals.funded);
  });
});
