import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineKnowledge, defineWorkflow, knowledgeSearch, openOperator, usd, type Agent, type DataAccess, type KnowledgeSearchOutput } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { auditOf, corpusDirectory, embeddingModels, testEmbeddingId } from "./helpers.ts";

/** A code agent that searches one collection and returns what it got, or the error code. */
function reader(options: { name: string; collection: string; dataAccess: DataAccess; grants: Agent["grants"] }) {
  const search = knowledgeSearch();
  return defineAgent({
    name: options.name,
    owner: "tests",
    purpose: "searches a knowledge collection",
    dataAccess: options.dataAccess,
    tools: [search],
    grants: options.grants,
    input: z.object({ query: z.string() }),
    output: z.any(),
    run: async ({ query }, context) => {
      try {
        return await context.tools.call(search, { collection: options.collection, query });
      } catch (error) {
        return { code: (error as { code: string }).code, message: (error as Error).message };
      }
    },
  });
}

const flow = (agent: Agent) =>
  defineWorkflow({ name: "ask", input: z.object({ query: z.string() }), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(agent, input) });

describe.each(await dialects())("knowledge.search as a governed tool on %s", (dialect) => {
  const open = runtimeFixture(dialect);
  const collections = [defineKnowledge({ name: "energy", dataAccess: "internal" }), defineKnowledge({ name: "hr", dataAccess: "confidential" })];

  async function setup(agent: Agent) {
    const runtime = await open([agent], [flow(agent)], { knowledge: collections, principal: "alice" });
    const operator = openOperator({ store: runtime.store, principal: "librarian" });
    await operator.knowledge.add("energy", { paths: ["."], baseDir: corpusDirectory });
    await operator.knowledge.add("hr", { documents: [{ source: "salaries.md", text: "Salary bands for heat pump installers are confidential." }] });
    return { runtime, operator };
  }

  it("returns ranked passages with source ids, and the audit names the documents and chunks shown to which agent in which run", async () => {
    const agent = reader({ name: "analyst", collection: "energy", dataAccess: "internal", grants: [{ scope: "knowledge:energy" }] });
    const { runtime, operator } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "installer shortages heat pumps" })).result();
    expect(result.status).toBe("completed");
    const output = result.output as KnowledgeSearchOutput;
    expect(output).toMatchObject({ collection: "energy", mode: "fulltext", embeddingTokens: 0 });
    expect(output.hits[0]).toMatchObject({ source: "heat-pumps.md", documentId: expect.stringMatching(/^doc_/), chunkId: expect.stringMatching(/^chk_/) });

    const [retrieved, ...others] = await auditOf(operator, "knowledge.retrieved");
    expect(others).toEqual([]);
    expect(retrieved).toMatchObject({ runId: result.runId, agent: "analyst", principal: "alice", workflow: "ask", stepKey: expect.stringContaining("knowledge.search") });
    expect(retrieved!.data).toEqual({
      collection: "energy",
      query: "installer shortages heat pumps",
      mode: "fulltext",
      hits: output.hits.map((hit) => ({ source: hit.source, documentId: hit.documentId, chunkId: hit.chunkId })),
    });
    // The allow record names the grant the search used.
    const [allow] = (await auditOf(operator, "gateway.allow")).filter((record) => record.data.scope === "knowledge:energy");
    expect(allow).toMatchObject({ agent: "analyst", data: { scope: "knowledge:energy", resource: "energy", subject: "tool:knowledge.search" } });
  });

  it("refuses an agent without a grant for the collection, and audits the denial", async () => {
    const agent = reader({ name: "outsider", collection: "energy", dataAccess: "internal", grants: [{ scope: "knowledge:other" }] });
    const { runtime, operator } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "heat pumps" })).result();
    expect(result.output).toMatchObject({ code: "PERMISSION_DENIED" });
    const [deny] = await auditOf(operator, "gateway.deny");
    expect(deny).toMatchObject({ runId: result.runId, agent: "outsider", data: { code: "PERMISSION_DENIED", scope: "knowledge:energy", resource: "energy" } });
    expect(await auditOf(operator, "knowledge.retrieved")).toEqual([]);
    const steps = await runtime.getSteps(result.runId);
    expect(steps.find((step) => step.name === "knowledge.search")).toMatchObject({ status: "failed", error: { code: "PERMISSION_DENIED" } });
  });

  it("refuses a collection whose data-access level is above the agent's, even with a grant", async () => {
    const agent = reader({ name: "intern", collection: "hr", dataAccess: "internal", grants: [{ scope: "knowledge:*" }] });
    const { runtime, operator } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "salary bands" })).result();
    expect(result.output).toMatchObject({ code: "PERMISSION_DENIED", message: expect.stringContaining('collection "hr" holds confidential data and the agent\'s data-access level is internal') });
    const [deny] = await auditOf(operator, "gateway.deny");
    expect(deny).toMatchObject({ agent: "intern", data: { code: "PERMISSION_DENIED", scope: "knowledge:hr" } });
    expect(await auditOf(operator, "knowledge.retrieved")).toEqual([]);
  });

  it("lets a confidential-cleared agent read the confidential collection", async () => {
    const agent = reader({ name: "hr-partner", collection: "hr", dataAccess: "confidential", grants: [{ scope: "knowledge:hr" }] });
    const { runtime } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "salary bands" })).result();
    expect((result.output as KnowledgeSearchOutput).hits.map((hit) => hit.source)).toEqual(["salaries.md"]);
  });

  it("a knowledgeSearch tool limited to some collections refuses the others, whatever the grants", async () => {
    const search = knowledgeSearch({ collections: ["energy"] });
    const agent = defineAgent({
      name: "narrow",
      owner: "tests",
      purpose: "searches only energy",
      dataAccess: "restricted",
      tools: [search],
      grants: [{ scope: "knowledge:*" }],
      input: z.object({ query: z.string() }),
      output: z.any(),
      run: ({ query }, context) => context.tools.call(search, { collection: "hr", query }).catch((error: { code: string; message: string }) => ({ code: error.code, message: error.message })),
    });
    const { runtime } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "salary" })).result();
    expect(result.output).toMatchObject({ code: "PERMISSION_DENIED", message: expect.stringContaining("limited to energy") });
  });

  it("an unknown collection is refused before anything is charged, naming the known ones", async () => {
    const agent = reader({ name: "lost", collection: "nowhere", dataAccess: "restricted", grants: [{ scope: "knowledge:*" }] });
    const { runtime } = await setup(agent);
    const result = await (await runtime.start("ask", { query: "anything" })).result();
    expect(result.output).toMatchObject({ code: "UNKNOWN_COLLECTION", message: expect.stringContaining("energy, hr") });
  });
});

describe("knowledge.search with an embedding model", () => {
  const open = runtimeFixture("sqlite");

  it("prices and meters the query's embedding like a model call, paid from the run", async () => {
    const agent = reader({ name: "analyst", collection: "energy", dataAccess: "internal", grants: [{ scope: "knowledge:energy" }] });
    const models = embeddingModels();
    const runtime = await open([agent], [flow(agent)], { models, knowledge: [defineKnowledge({ name: "energy", embedding: testEmbeddingId })] });
    const operator = openOperator({ store: runtime.store, models });
    await operator.knowledge.add("energy", { paths: ["."], baseDir: corpusDirectory });
    const result = await (await runtime.start("ask", { query: "repowering wind farms with larger turbines" })).result();
    const output = result.output as KnowledgeSearchOutput;
    expect(output).toMatchObject({ mode: "hybrid", embeddingTokens: 6 });
    expect(output.hits[0]?.source).toBe("wind.jsonl#repowering");
    // $1 per million tokens: 6 tokens cost 6 micro-dollars, charged to the model like any model call.
    const spend = await operator.budgets.spend({ by: "model", runId: result.runId });
    expect(spend).toEqual([expect.objectContaining({ key: testEmbeddingId, calls: 1, inputTokens: 6, outputTokens: 0, spentMicros: 6 })]);
    const [settle] = (await auditOf(operator, "gateway.settle")).filter((record) => record.data.subject === `model:${testEmbeddingId}`);
    expect(settle).toMatchObject({ runId: result.runId, agent: "analyst", data: { chargedMicros: 6, units: { model: testEmbeddingId, inputTokens: 6 } } });
  });
});
