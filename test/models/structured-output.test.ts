import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, usd, type Agent, type ModelConfig } from "../../src/index.ts";
import { isStrictSchema } from "../../src/models/structured-output.ts";
import { notesTool, researcherWith } from "./research-agent.ts";
import { createScriptedModel, startScriptedOpenAIServer, type ChatCompletionRequest, type Script, type ScriptedOpenAIServer, type ScriptedResponse } from "../../src/testing/index.ts";

let notesCalls = 0;
const notes = notesTool({ onCall: () => (notesCalls += 1) });
const researcher = (overrides: Partial<Parameters<typeof defineAgent>[0]> = {}): Agent => researcherWith("local:m", notes, overrides);
const brief = { summary: "Solar is cheap", confidence: 0.9 };
const free = { inputPerMillion: 0, outputPerMillion: 0 };

/** The server the issue is about: it answers correctly only when the request carries a JSON-Schema response format. */
const honoursOnlyResponseFormat: ScriptedResponse = { whenJsonSchema: { json: brief }, otherwise: { text: "Solar is cheap, I am fairly sure." } };
const searchFirst: ScriptedResponse = { toolCalls: [{ name: "notes", arguments: { topic: "solar" } }] };
const rejection = "Your answer was rejected";

describe("model agents ask for structured output through a real OpenAI-compatible server", () => {
  let server: ScriptedOpenAIServer | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await server?.close();
    runtime = server = undefined;
    delete process.env.CADRE_OPENAI_BASE_URL;
  });

  async function run(options: { script: Script<ChatCompletionRequest>; agent?: Agent; models?: (baseURL: string) => ModelConfig; structuredOutputs?: boolean }) {
    server = await startScriptedOpenAIServer({ script: options.script });
    const agent = options.agent ?? researcher();
    const workflow = defineWorkflow({
      name: "research",
      input: z.object({ topic: z.string() }),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: (input, ctx) => ctx.call(agent, input),
    });
    const local = { kind: "openai-compatible" as const, baseURL: server.baseURL, ...(options.structuredOutputs === undefined ? {} : { structuredOutputs: options.structuredOutputs }) };
    const models = options.models?.(server.baseURL) ?? { providers: { local }, prices: { "local:m": free } };
    runtime = await Runtime.open({ store: ":memory:", agents: [agent], workflows: [workflow], models });
    const result = await (await runtime.start(workflow, { topic: "solar" })).result();
    return { result, steps: await runtime.getSteps(result.runId), requests: server.requests, runtime, workflow };
  }

  const sentRejection = (requests: ScriptedOpenAIServer["requests"]) => requests.some((request) => JSON.stringify(request.messages).includes(rejection));

  it("on (the default): every turn carries the answer's schema beside the tools, and the final answer needs no repair turn", async () => {
    const { result, steps, requests } = await run({ script: [searchFirst, honoursOnlyResponseFormat] });
    expect(result).toMatchObject({ status: "completed", output: brief });
    expect(requests).toHaveLength(2);
    expect(sentRejection(requests)).toBe(false);
    const responseFormat = {
      type: "json_schema",
      json_schema: { name: "answer", strict: true, schema: { type: "object", properties: { summary: { type: "string" }, confidence: { type: "number", minimum: 0, maximum: 1 } }, required: ["summary", "confidence"] } },
    };
    expect(requests[1]!.response_format).toMatchObject(responseFormat);
    expect(requests[1]).not.toHaveProperty("strictJsonSchema");
    // The tool turn asked for the format too, with the tools: the model decides which turn is final.
    expect(requests[0]).toMatchObject({ response_format: responseFormat, tools: [{ type: "function", function: { name: "notes" } }] });
    // The contract also stays in the prompt, for servers that ignore response_format.
    expect(String(requests[0]!.messages[0]!.content)).toContain("matches this JSON Schema");
    // Model calls are journaled steps as before; the journaled request records the schema asked for.
    expect(steps.map((step) => `${step.key} ${step.type}`)).toEqual(["1.t/1:model model", "1.t/2:notes tool", "1.t/3:model model", "1:researcher agent"]);
    expect(steps[2]!.input).toMatchObject({ model: "local:m", answerSchema: { type: "object", required: ["summary", "confidence"] } });
  });

  it("off: no response_format is sent, and the prompt instruction with its repair turn still carries the contract", async () => {
    const { result, requests } = await run({ script: [searchFirst, { text: "Solar is cheap." }, { json: brief }], structuredOutputs: false });
    expect(result).toMatchObject({ status: "completed", output: brief });
    expect(requests).toHaveLength(3);
    expect(requests.map((request) => request.response_format)).toEqual([undefined, undefined, undefined]);
    expect(String(requests[0]!.messages[0]!.content)).toContain("matches this JSON Schema");
    expect(JSON.stringify(requests[2]!.messages.at(-1))).toContain(`${rejection}: the answer is not valid JSON`);
  });

  it("off, against a server that honours only response_format: INVALID_OUTPUT after a repair turn (the failure structured output removes)", async () => {
    const { result, requests } = await run({ script: [searchFirst, honoursOnlyResponseFormat, honoursOnlyResponseFormat], structuredOutputs: false });
    expect(result.error).toMatchObject({ code: "INVALID_OUTPUT", fault: "model" });
    expect(requests).toHaveLength(3);
    expect(sentRejection(requests)).toBe(true);
  });

  it("a server that ignores response_format still gets the repair turn when structured outputs are on", async () => {
    const { result, requests } = await run({ script: [{ text: "Solar is cheap." }, { json: brief }] });
    expect(result).toMatchObject({ status: "completed", output: brief });
    expect(requests[1]!.response_format).toMatchObject({ type: "json_schema" });
    expect(sentRejection(requests)).toBe(true);
  });

  it("sends a schema that strict mode would refuse (an optional field) as non-strict guidance", async () => {
    const agent = researcher({ output: z.object({ summary: z.string(), caveat: z.string().optional() }) });
    const { result, requests } = await run({ agent, script: [{ whenJsonSchema: { json: { summary: "ok" } }, otherwise: { text: "prose" } }] });
    expect(result).toMatchObject({ status: "completed", output: { summary: "ok" } });
    expect(requests[0]!.response_format).toMatchObject({ type: "json_schema", json_schema: { strict: false, schema: { required: ["summary"] } } });
  });

  it("asks for no response format for a text answer or a schema whose root is not an object", async () => {
    const writer = researcher({ name: "writer", output: z.string(), tools: [], grants: [] });
    const text = await run({ agent: writer, script: [{ text: "A report." }] });
    expect(text.result).toMatchObject({ status: "completed", output: "A report." });
    expect(text.requests[0]!.response_format).toBeUndefined();
    await runtime!.close();
    await server!.close();
    const lister = researcher({ name: "lister", output: z.array(z.string()), tools: [], grants: [] });
    const list = await run({ agent: lister, script: [{ json: ["a", "b"] }] });
    expect(list.result).toMatchObject({ status: "completed", output: ["a", "b"] });
    expect(list.requests[0]!.response_format).toBeUndefined();
    expect(String(list.requests[0]!.messages[0]!.content)).toContain("matches this JSON Schema");
  });

  it("openai: models on CADRE_OPENAI_BASE_URL ask for it too; models.providers.openai.structuredOutputs: false turns it off", async () => {
    const agent = researcher({ model: "openai:gpt-4o-mini" });
    const viaEnvironment = (structuredOutputs?: boolean) => (baseURL: string): ModelConfig => {
      process.env.CADRE_OPENAI_BASE_URL = baseURL;
      return structuredOutputs === undefined ? {} : { providers: { openai: { structuredOutputs } } };
    };
    const on = await run({ agent, script: [honoursOnlyResponseFormat], models: viaEnvironment() });
    expect(on.result).toMatchObject({ status: "completed", output: brief });
    expect(on.requests[0]).toMatchObject({ model: "gpt-4o-mini", response_format: { type: "json_schema", json_schema: { strict: true } } });
    await runtime!.close();
    await server!.close();
    const off = await run({ agent, script: [{ json: brief }], models: viaEnvironment(false) });
    expect(off.result).toMatchObject({ status: "completed", output: brief });
    expect(off.requests[0]!.response_format).toBeUndefined();
  });

  it("a resumed run replays its journaled turns and asks only the unfinished call again, with the schema", async () => {
    notesCalls = 0;
    const script = (_request: ChatCompletionRequest, index: number): ScriptedResponse =>
      index === 0 ? searchFirst : index < 3 ? { error: { status: 503, message: "overloaded" } } : honoursOnlyResponseFormat;
    const first = await run({ script });
    expect(first.result.error).toMatchObject({ code: "MODEL_ERROR" });
    expect(first.requests).toHaveLength(3);
    const resumed = await (await first.runtime.resume(first.result.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: brief });
    // The first turn and the tool call came from the journal: one more request, one tool run in all.
    expect(first.requests).toHaveLength(4);
    expect(notesCalls).toBe(1);
    expect(first.requests[3]!.response_format).toMatchObject({ type: "json_schema" });
  });
});

describe("model agents ask for structured output through the in-process scripted model", () => {
  async function run(structuredOutputs: boolean | undefined, script: ScriptedResponse[]) {
    const model = createScriptedModel({ script });
    const agent = researcher({ model: "scripted:model" });
    const workflow = defineWorkflow({ name: "research", input: z.object({ topic: z.string() }), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(agent, input) });
    const runtime = await Runtime.open({
      store: ":memory:",
      agents: [agent],
      workflows: [workflow],
      models: {
        instances: { "scripted:model": model },
        prices: { "scripted:model": free },
        ...(structuredOutputs === undefined ? {} : { providers: { scripted: { structuredOutputs } } }),
      },
    });
    try {
      return { result: await (await runtime.start(workflow, { topic: "solar" })).result(), model };
    } finally {
      await runtime.close();
    }
  }

  it("sees the answer's schema as responseFormat on every turn and answers on the first try", async () => {
    const { result, model } = await run(undefined, [searchFirst, honoursOnlyResponseFormat]);
    expect(result).toMatchObject({ status: "completed", output: brief });
    expect(model.callCount).toBe(2);
    for (const call of model.calls) {
      expect(call.responseFormat).toMatchObject({ type: "json", name: "answer", schema: { type: "object", required: ["summary", "confidence"] } });
    }
  });

  it("sees no responseFormat when models.providers.scripted.structuredOutputs is false, and the repair turn fixes the answer", async () => {
    const { result, model } = await run(false, [searchFirst, honoursOnlyResponseFormat, { json: brief }]);
    expect(result).toMatchObject({ status: "completed", output: brief });
    expect(model.calls.map((call) => call.responseFormat)).toEqual([undefined, undefined, undefined]);
    expect(JSON.stringify(model.calls[2]!.prompt)).toContain(rejection);
  });
});

describe("isStrictSchema", () => {
  it("accepts only schemas whose every object requires all its properties and forbids others", () => {
    const schema = (output: z.ZodType) => z.toJSONSchema(output, { io: "output" });
    expect(isStrictSchema(schema(z.object({ items: z.array(z.object({ name: z.string() })), kind: z.union([z.object({ a: z.string() }), z.null()]) })))).toBe(true);
    expect(isStrictSchema(schema(z.object({ items: z.array(z.object({ name: z.string().optional() })) })))).toBe(false);
    expect(isStrictSchema(schema(z.object({ kind: z.union([z.object({ a: z.string().optional() }), z.null()]) })))).toBe(false);
    expect(isStrictSchema(schema(z.object({ scores: z.record(z.string(), z.number()) })))).toBe(false);
  });
});
