import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineTool, openOperator, openStore, type Store } from "../../src/index.ts";
import { createScriptedModel, type ScriptedResponse } from "../../src/testing/index.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { askWorkflow, collect, price, weatherTool, writer } from "../streaming/stream-fixtures.ts";

const toolTurn: ScriptedResponse = { toolCalls: [{ name: "weather", arguments: { city: "Lisbon" } }] };

/** Calls the tool first; once given its result, answers from it: the forecast, or that the call was refused. */
const weatherScript = (request: { prompt: unknown }): ScriptedResponse => {
  const prompt = JSON.stringify(request.prompt);
  if (!prompt.includes('"role":"tool"')) return toolTurn;
  return { text: prompt.includes("APPROVAL_REJECTED") ? "I was not allowed to check the weather." : "Sunny in Lisbon." };
};

describe("needsApproval on a tool", () => {
  it("is refused at definition unless it is a boolean or a predicate", () => {
    const define = (needsApproval: unknown) => defineTool({ name: "pay", description: "pays", input: z.object({}), output: z.object({}), needsApproval: needsApproval as never, run: () => ({}) });
    expect(() => define("yes")).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: { tool: "pay", field: "needsApproval" } }));
    expect(define(true).needsApproval).toBe(true);
  });
});

describe.each(await dialects())("per-tool approval inside a model agent's loop on %s", (dialect) => {
  let location: TestStoreLocation | undefined;
  let store: Store | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await store?.close();
    await location?.cleanup();
    runtime = store = location = undefined;
  });

  async function open(options: { needsApproval: boolean | ((input: { city: string }) => boolean); calls: Array<{ city: string }> }) {
    location ??= await freshStoreLocation(dialect);
    store ??= await openStore(location.location);
    const model = createScriptedModel({ script: weatherScript });
    const agent = writer("scripted:model", weatherTool({ needsApproval: options.needsApproval as never, onCall: (input) => options.calls.push(input) }));
    const workflow = askWorkflow(agent);
    runtime = await Runtime.open({ store, agents: [agent], workflows: [workflow], models: { instances: { "scripted:model": model }, prices: { "scripted:model": price } } });
    return { rt: runtime, workflow, model };
  }

  it("parks before the call with a request naming agent, tool and input; approved, the call runs on resume", async () => {
    const calls: Array<{ city: string }> = [];
    const { rt, workflow, model } = await open({ needsApproval: true, calls });
    const handle = await rt.start(workflow, { question: "Weather in Lisbon?" });
    const events = await collect(handle.events());
    expect(await handle.result()).toMatchObject({ status: "waiting" });
    expect(calls).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ event: "wait-start", type: "approval", name: "approval:tool:weather", request: { agent: "writer", tool: "weather", input: { city: "Lisbon" } } }));

    const operator = openOperator({ store: store!, principal: "carol" });
    expect(await operator.approvals.pending()).toEqual([expect.objectContaining({ runId: handle.runId, name: "tool:weather", request: { agent: "writer", tool: "weather", input: { city: "Lisbon" } } })]);
    // The agent call parked: its hold is released and the run waits with nothing held.
    expect((await ledgerTotals(store!)).held).toBe(0);

    await operator.approvals.approve(handle.runId, "tool:weather", { note: "fine" });
    const resumed = await rt.wake(handle.runId);
    expect(await resumed!.result()).toMatchObject({ status: "completed", output: "Sunny in Lisbon." });
    expect(calls).toEqual([{ city: "Lisbon" }]);
    // The first turn was replayed from the journal: two model calls in all.
    expect(model.callCount).toBe(2);
    const steps = await rt.getSteps(handle.runId);
    expect(steps.map((step) => `${step.key} ${step.status}`)).toEqual(["1.t/1:model completed", "1.t/2:approval:tool:weather completed", "1.t/3:weather completed", "1.t/4:model completed", "1:writer completed"]);
    expect((await auditKinds(store!, handle.runId)).find((record) => record.kind === "approval.granted")).toMatchObject({ data: { name: "tool:weather", note: "fine" } });
  });

  it("rejected, the model gets a tool result saying the call was refused and answers without it", async () => {
    const calls: Array<{ city: string }> = [];
    const { rt, workflow, model } = await open({ needsApproval: true, calls });
    const handle = await rt.start(workflow, { question: "Weather in Lisbon?" });
    expect(await handle.result()).toMatchObject({ status: "waiting" });
    await openOperator({ store: store!, principal: "dan" }).approvals.reject(handle.runId, "tool:weather", { note: "not today" });
    const resumed = await rt.wake(handle.runId);
    expect(await resumed!.result()).toMatchObject({ status: "completed", output: "I was not allowed to check the weather." });
    expect(calls).toEqual([]);
    const toolMessage = JSON.stringify(model.calls[1]!.prompt.at(-1));
    expect(toolMessage).toContain("APPROVAL_REJECTED");
    expect(toolMessage).toContain("rejected by dan: not today");
  });

  it("a predicate on the input decides: other inputs run at once", async () => {
    const calls: Array<{ city: string }> = [];
    const { rt, workflow } = await open({ needsApproval: (input) => input.city === "Paris", calls });
    const result = await (await rt.start(workflow, { question: "Weather in Lisbon?" })).result();
    expect(result).toMatchObject({ status: "completed", output: "Sunny in Lisbon." });
    expect(calls).toEqual([{ city: "Lisbon" }]);
  });

  it("a parked run survives its runtime closing; another runtime resumes it after the decision, replaying the first turn", async () => {
    const calls: Array<{ city: string }> = [];
    const first = await open({ needsApproval: true, calls });
    const handle = await first.rt.start(first.workflow, { question: "Weather in Lisbon?" });
    expect(await handle.result()).toMatchObject({ status: "waiting" });
    await first.rt.close();
    runtime = undefined;

    await openOperator({ store: store! }).approvals.approve(handle.runId, "tool:weather");
    const second = await open({ needsApproval: true, calls });
    const result = await (await second.rt.resume(handle.runId)).result();
    expect(result).toMatchObject({ status: "completed", output: "Sunny in Lisbon." });
    expect(calls).toEqual([{ city: "Lisbon" }]);
    // The new runtime's model answered only the turn after the tool: the first came from the journal.
    expect(second.model.callCount).toBe(1);
    expect(JSON.stringify(second.model.calls[0]!.prompt)).toContain("sunny in Lisbon");
  });
});
