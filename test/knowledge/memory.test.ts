import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineKnowledge, defineWorkflow, openOperator, rememberFact, usd, type Agent, type RecalledMemory } from "../../src/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { auditOf } from "./helpers.ts";

const assistant = (grants: Agent["grants"] = [{ scope: "memory:*" }]) =>
  defineAgent({
    name: "assistant",
    owner: "tests",
    purpose: "remembers and recalls facts about the person it works for",
    dataAccess: "internal",
    memory: {},
    grants,
    input: z.union([z.object({ remember: z.string(), thread: z.string().optional() }), z.object({ recall: z.string() })]),
    output: z.any(),
    run: async (input, context) => {
      try {
        if ("remember" in input) return await context.memory!.remember({ text: input.remember, ...(input.thread ? { thread: input.thread } : {}) });
        return (await context.memory!.recall(input.recall)).map((memory: RecalledMemory) => memory.text);
      } catch (error) {
        return { code: (error as { code: string }).code, message: (error as Error).message };
      }
    },
  });

const flow = (agent: Agent) => defineWorkflow({ name: "assist", input: z.any(), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(agent, input) });

describe.each(await dialects())("agent memory on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("remembers per principal across runs, recalls by search, and never shows one principal another's memories", async () => {
    const agent = assistant();
    const runtime = await open([agent], [flow(agent)]);
    // The runtime records the agent's memory collection when it opens, not mid-run.
    expect(await openOperator({ store: runtime.store }).knowledge.list()).toEqual([expect.objectContaining({ name: "memory", dataAccess: "internal", documents: 0 })]);
    const run = async (input: unknown, principal: string) => (await (await runtime.start("assist", input, { principal })).result()).output;
    const remembered = await run({ remember: "Alice prefers heat pumps over gas boilers", thread: "home" }, "alice");
    expect(remembered).toMatchObject({ collection: "memory", documentId: expect.stringMatching(/^doc_/), chunkIds: [expect.stringMatching(/^chk_/)], expiresAt: null });
    await run({ remember: "Alice's house is in Oslo, a cold climate" }, "alice");
    await run({ remember: "Bob wants rooftop solar" }, "bob");

    expect(await run({ recall: "heat pumps" }, "alice")).toEqual(["Alice prefers heat pumps over gas boilers"]);
    expect(await run({ recall: "cold climate house" }, "alice")).toEqual(["Alice's house is in Oslo, a cold climate"]);
    expect(await run({ recall: "rooftop solar" }, "alice")).toEqual([]);
    expect(await run({ recall: "rooftop solar" }, "bob")).toEqual(["Bob wants rooftop solar"]);

    const operator = openOperator({ store: runtime.store });
    const [first] = await auditOf(operator, "memory.remembered");
    expect(first).toMatchObject({ agent: "assistant", principal: "alice", data: { documentId: (remembered as { documentId: string }).documentId, thread: "home" } });
    const recalls = await auditOf(operator, "knowledge.retrieved");
    expect(recalls.at(-1)).toMatchObject({ agent: "assistant", principal: "bob", data: { collection: "memory", mode: "memory", hits: [expect.objectContaining({ chunkId: expect.stringMatching(/^chk_/) })] } });
  });

  it("forget --principal deletes every memory of that principal and audits the deletion", async () => {
    const agent = assistant();
    const runtime = await open([agent], [flow(agent)]);
    const run = async (input: unknown, principal: string) => (await (await runtime.start("assist", input, { principal })).result()).output;
    await run({ remember: "Alice prefers heat pumps" }, "alice");
    await run({ remember: "Alice lives in Oslo" }, "alice");
    await run({ remember: "Bob wants rooftop solar" }, "bob");
    const operator = openOperator({ store: runtime.store, principal: "dpo" });
    const report = await operator.memory.forget("alice", { reason: "request 42" });
    expect(report).toMatchObject({ principal: "alice", chunks: 2 });
    expect(report.documents).toHaveLength(2);
    expect(await run({ recall: "heat pumps Oslo" }, "alice")).toEqual([]);
    expect(await run({ recall: "rooftop solar" }, "bob")).toEqual(["Bob wants rooftop solar"]);
    const [forget] = await auditOf(operator, "memory.forget");
    expect(forget).toMatchObject({ principal: "dpo", data: { forgotten: "alice", reason: "request 42", documents: report.documents, chunks: [expect.any(String), expect.any(String)] } });
    expect((await operator.audit.verify()).ok).toBe(true);
  });

  it("memories past the collection's retention are not recalled and are purged on the next write", async () => {
    const agent = assistant();
    let now = 1_800_000_000_000;
    const runtime = await open([agent], [flow(agent)], { now: () => now, knowledge: [defineKnowledge({ name: "memory", ttl: 60_000 })] });
    const run = async (input: unknown) => (await (await runtime.start("assist", input, { principal: "alice" })).result()).output;
    const old = (await run({ remember: "Alice asked about heat pumps" })) as { documentId: string; expiresAt: number };
    expect(old.expiresAt).toBe(now + 60_000);
    now += 30_000;
    expect(await run({ recall: "heat pumps" })).toEqual(["Alice asked about heat pumps"]);
    now += 31_000;
    expect(await run({ recall: "heat pumps" })).toEqual([]);
    await run({ remember: "Alice asked about solar" });
    const operator = openOperator({ store: runtime.store });
    expect((await operator.knowledge.documents("memory")).map((document) => document.id)).not.toContain(old.documentId);
    expect(await operator.knowledge.documents("memory")).toHaveLength(1);
  });

  it("remembering needs a memory grant; the refusal is audited", async () => {
    const agent = assistant([{ scope: "memory:recall" }]);
    const runtime = await open([agent], [flow(agent)]);
    const output = (await (await runtime.start("assist", { remember: "something" }, { principal: "alice" })).result()).output;
    expect(output).toMatchObject({ code: "PERMISSION_DENIED" });
    const [deny] = await auditOf(openOperator({ store: runtime.store }), "gateway.deny");
    expect(deny).toMatchObject({ agent: "assistant", data: { scope: "memory:remember", resource: "memory" } });
  });
});

describe("memory writes are idempotent", () => {
  const open = runtimeFixture("sqlite");

  it("a retried agent call replays its completed remember step, and a write repeated with the same key replaces itself", async () => {
    let attempts = 0;
    const flaky = defineAgent({
      name: "flaky",
      owner: "tests",
      purpose: "remembers, then fails once",
      dataAccess: "internal",
      memory: {},
      grants: [{ scope: "memory:*" }],
      retry: { maxAttempts: 2, initialDelayMs: 1 },
      input: z.string(),
      output: z.any(),
      run: async (text, context) => {
        const remembered = await context.memory!.remember(text);
        attempts += 1;
        if (attempts === 1) throw new Error("transient failure after remembering");
        return remembered;
      },
    });
    const runtime = await open([flaky], [flow(flaky)]);
    const result = await (await runtime.start("assist", "Alice prefers heat pumps", { principal: "alice" })).result();
    expect(result.status).toBe("completed");
    expect(attempts).toBe(2);
    const operator = openOperator({ store: runtime.store });
    expect(await operator.knowledge.documents("memory")).toHaveLength(1);
    expect(await auditOf(operator, "memory.remembered")).toHaveLength(1);

    // The same step key written twice (a crash between the write and the journal's end, then a resume) is one memory.
    const { KnowledgeBase } = await import("../../src/index.ts");
    const { prepareMemory, writeMemory, memoryCollection } = await import("../../src/knowledge/memory.ts");
    const knowledge = new KnowledgeBase({ store: runtime.store });
    const collection = await memoryCollection(knowledge);
    for (let write = 0; write < 2; write += 1) {
      const plan = await prepareMemory(knowledge, { collection, record: { text: "Alice lives in Oslo" }, key: "run_x:step_y", agent: "flaky", principal: "alice", now: 1 });
      await runtime.store.transaction((tx) => writeMemory(tx, runtime.store.dialect, plan, { collection: "memory", now: 1 }));
    }
    expect(await operator.knowledge.documents("memory")).toHaveLength(2);
  });
});

describe("memory: { recall } on a model-backed agent", () => {
  const open = runtimeFixture("sqlite");

  it("a model chooses what to remember (memory.remember), and the next run gets it in its system prompt", async () => {
    const model = createScriptedModel({
      provider: "scripted",
      modelId: "advisor",
      script: [
        { toolCalls: [{ name: "memory_remember", arguments: { text: "Alice lives in Oslo, a cold climate" } }] },
        { text: "Noted." },
        { text: "A cold-climate heat pump suits you." },
        { text: "Hello Bob." },
      ],
    });
    const advisor = defineAgent({
      name: "advisor",
      owner: "tests",
      purpose: "advises using what it remembers",
      dataAccess: "internal",
      model: "scripted:advisor",
      instructions: "You advise on home energy.",
      tools: [rememberFact()],
      memory: { recall: 2 },
      grants: [{ scope: "memory:*" }],
    });
    const models = { instances: { "scripted:advisor": model as never }, prices: { "scripted:advisor": { inputPerMillion: 0, outputPerMillion: 0 } } };
    const runtime = await open([advisor], [defineWorkflow({ name: "advise", input: z.string(), output: z.string(), run: (input, ctx) => ctx.call(advisor, input) })], { models });
    const advise = async (question: string, principal: string) => (await (await runtime.start("advise", question, { principal })).result()).output;

    expect(await advise("I live in Oslo.", "alice")).toBe("Noted.");
    // The provider saw the tool under a name it accepts.
    expect(model.calls[0]!.tools?.map((tool) => tool.name)).toEqual(["memory_remember"]);
    expect(JSON.stringify(model.calls[0]!.prompt)).not.toContain("What you remember");

    expect(await advise("Which heat pump for a cold climate?", "alice")).toBe("A cold-climate heat pump suits you.");
    const system = JSON.stringify(model.calls[2]!.prompt[0]);
    expect(system).toContain("What you remember from earlier runs that may be relevant:");
    expect(system).toMatch(/Alice lives in Oslo, a cold climate \(memory chk_[0-9a-f]+\)/);

    // Another principal's run recalls nothing of Alice.
    expect(await advise("Which heat pump for a cold climate?", "bob")).toBe("Hello Bob.");
    expect(JSON.stringify(model.calls[3]!.prompt[0])).not.toContain("Oslo");
  });
});
