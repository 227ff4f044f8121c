import { afterEach, describe, expect, it } from "vitest";
import { openOperator, Runtime } from "../../src/index.ts";
import { listen, type ListeningServer } from "../../src/server/listen.ts";
import { createScriptedModel, type ScriptedResponse } from "../../src/testing/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { askWorkflow, price, weatherTool, writer } from "../streaming/stream-fixtures.ts";
import { openEventStream } from "./sse-client.ts";

const answer = "It is sunny in Lisbon today, with a light breeze from the ocean.";

describe.each(await dialects())("a model-backed agent over HTTP (%s)", (dialect) => {
  let location: TestStoreLocation | undefined;
  let runtime: Runtime | undefined;
  let server: ListeningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await runtime?.close();
    await location?.cleanup();
    location = runtime = server = undefined;
  });

  async function open(script: ScriptedResponse[], needsApproval?: boolean) {
    location = await freshStoreLocation(dialect);
    const agent = writer("scripted:model", weatherTool(needsApproval === undefined ? {} : { needsApproval }));
    runtime = await Runtime.open({ store: location.location, agents: [agent], workflows: [askWorkflow(agent)], models: { instances: { "scripted:model": createScriptedModel({ script }) }, prices: { "scripted:model": price } } });
    const operator = openOperator({ store: runtime.store });
    const keys = { operator: (await operator.keys.create({ operator: "olga", role: "operator" })).secret, approver: (await operator.keys.create({ operator: "abe", role: "approver" })).secret };
    server = await listen({ runtime, auth: { mode: "keys" }, host: "127.0.0.1", port: 0 });
    const post = async (path: string, key: string, body: unknown) => (await fetch(`${server!.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>;
    return { keys, post, url: server.url };
  }

  it("streams the answer's text as model-delta events, which concatenate to the run's output", async () => {
    const { keys, post, url } = await open([{ toolCalls: [{ name: "weather", arguments: { city: "Lisbon" } }] }, { text: answer, usage: { promptTokens: 40, completionTokens: 20 } }]);
    const { runId } = await post("/api/runs", keys.operator, { workflow: "ask", input: { question: "Weather in Lisbon?" } });
    const messages = await (await openEventStream(`${url}/api/runs/${runId}/events`, { key: keys.operator })).collect();
    const deltas = messages.filter((message) => message.event === "model-delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((message) => message.data.data.text).join("")).toBe(answer);
    expect(deltas[0]!.data).toMatchObject({ type: "model-delta", runId, stepKey: expect.any(String), data: { agent: "writer" } });
    expect(messages.at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "completed", output: answer } } });
  });

  it("a tool that needs approval parks the run; approving it over the API lets the agent's loop go on", async () => {
    const { keys, post, url } = await open([{ toolCalls: [{ name: "weather", arguments: { city: "Lisbon" } }] }, { text: answer }], true);
    const { runId } = await post("/api/runs", keys.operator, { workflow: "ask", input: { question: "Weather in Lisbon?" } });
    const stream = await openEventStream(`${url}/api/runs/${runId}/events`, { key: keys.operator });
    const parked = await stream.collect((message) => message.event === "wait");
    const wait = parked.at(-1)!.data.data as { kind: string; name: string; request: { tool: string } };
    expect(wait).toMatchObject({ kind: "approval", request: { tool: "weather", input: { city: "Lisbon" } } });
    const decided = await post(`/api/approvals/${runId}/${encodeURIComponent(wait.name)}/approve`, keys.approver, {});
    expect(decided).toMatchObject({ decision: { approved: true, by: "abe" }, resume: { resumed: true } });
    expect((await stream.collect()).at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "completed", output: answer } } });
  });
});
