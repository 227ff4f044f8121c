import { afterEach, describe, expect, it } from "vitest";
import { Runtime, openStore, spendReport, type RuntimeEvent, type Store } from "../../src/index.ts";
import { startScriptedOpenAIServer, type ScriptedOpenAIServer, type ScriptedResponse } from "../../src/testing/index.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { askWorkflow, collect, weatherTool, writer } from "./stream-fixtures.ts";

const answer = "Streaming over HTTP: each server-sent chunk becomes one delta event, in the order it was sent.";

describe("streaming from an OpenAI-compatible server over HTTP (server-sent chunks)", () => {
  let server: ScriptedOpenAIServer | undefined;
  let location: TestStoreLocation | undefined;
  let store: Store | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await store?.close();
    await server?.close();
    await location?.cleanup();
    runtime = store = server = location = undefined;
    delete process.env.CADRE_OPENAI_BASE_URL;
  });

  async function open(script: ScriptedResponse[]) {
    server = await startScriptedOpenAIServer({ script });
    process.env.CADRE_OPENAI_BASE_URL = server.baseURL;
    location = await freshStoreLocation("sqlite");
    store = await openStore(location.location);
    const agent = writer("openai:gpt-4o-mini", weatherTool());
    const workflow = askWorkflow(agent);
    runtime = await Runtime.open({ store, agents: [agent], workflows: [workflow] });
    return { rt: runtime, workflow, server };
  }

  it("asks for a stream with usage, forwards the chunks in order and charges the usage the server reported", async () => {
    const { rt, workflow, server } = await open([{ text: answer, usage: { promptTokens: 120, completionTokens: 30 } }]);
    const handle = await rt.start(workflow, { question: "How does streaming work?" });
    const events = await collect(handle.events());
    const result = await handle.result();
    expect(result).toMatchObject({ status: "completed", output: answer });
    expect(server.requests[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const deltas = events.filter((event): event is Extract<RuntimeEvent, { event: "model-delta" }> => event.event === "model-delta").map((event) => event.text);
    // The server sends 16-character pieces: the deltas are those pieces, in order.
    expect(deltas).toEqual(answer.match(/[\s\S]{1,16}/g));
    const [turn] = (await rt.getSteps(result.runId)).filter((step) => step.type === "model");
    expect((turn!.output as { text: string; usage: unknown }).text).toBe(answer);
    expect((turn!.output as { usage: unknown }).usage).toEqual({ inputTokens: 120, outputTokens: 30, cachedInputTokens: 0 });
    expect(await spendReport(store!.db, { by: "model", runId: result.runId })).toEqual([{ key: "openai:gpt-4o-mini", calls: 1, inputTokens: 120, outputTokens: 30, spentMicros: 18 + 18 }]);
  });

  it("an HTTP error before the first chunk leaves no hold and no charge", async () => {
    const { rt, workflow } = await open([{ error: { status: 500, message: "boom" } }, { error: { status: 500, message: "boom again" } }]);
    const result = await (await rt.start(workflow, { question: "?" })).result();
    expect(result).toMatchObject({ status: "failed", error: { code: "MODEL_ERROR" } });
    expect(await ledgerTotals(store!)).toMatchObject({ held: 0, openHolds: 0 });
    expect((await auditKinds(store!, result.runId)).filter((record) => record.kind === "gateway.release").map((record) => record.data.chargedMicros)).toEqual([0, 0]);
    expect(await spendReport(store!.db, { by: "model", runId: result.runId })).toEqual([]);
  });

  it("a stream cut off mid-answer and aborted is charged for the chunks that arrived", async () => {
    const { rt, workflow, server } = await open([{ text: answer, stallAfterPieces: 3 }]);
    let aborting: Promise<void> | undefined;
    const deltas: string[] = [];
    rt.on("model-delta", (event) => {
      deltas.push(event.text);
      if (deltas.length === 3) aborting = rt.close();
    });
    const result = await (await rt.start(workflow, { question: "?" })).result();
    await aborting;
    runtime = undefined;
    expect(result.status).toBe("failed");
    expect(server.requestCount).toBe(1);
    expect(deltas.join("")).toBe(answer.slice(0, 48));
    const release = (await auditKinds(store!, result.runId)).find((record) => record.kind === "gateway.release" && String(record.data.subject).startsWith("model:"))!;
    // 48 characters arrived, 12 tokens at 4 characters a token: the server never reported usage.
    expect(release.data.units).toMatchObject({ outputTokens: 12 });
    expect(Number(release.data.chargedMicros)).toBeGreaterThan(0);
    const [byModel] = await spendReport(store!.db, { by: "model", runId: result.runId });
    expect(byModel).toMatchObject({ outputTokens: 12, spentMicros: release.data.chargedMicros });
    const totals = await ledgerTotals(store!);
    expect(totals.held).toBe(0);
    expect(totals.conserved).toBe(totals.funded);
  });
});
