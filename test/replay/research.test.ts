import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, usd, type Agent, type KnowledgeCollection, type Store, type Workflow } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

// The delivery tool writes under CADRE_REPORTS_DIR, read when the example's tools load.
const reports = mkdtempSync(join(tmpdir(), "cadre-replay-reports-"));
process.env.CADRE_REPORTS_DIR = reports;
const { researchAgents, findingsSchema } = await import("../../examples/research/agents.ts");
const { researchReport: exampleWorkflow } = await import("../../examples/research/workflow.ts");
const { startOfflineModel } = await import("../../examples/research/offline-model.ts");
const { energyNotes, notesDirectory } = await import("../../examples/research/knowledge.ts");
// The example is typed against the built package (it imports "cadre"); the test drives the sources.
const researchReport = exampleWorkflow as unknown as Workflow<{ title: string; topics: string[] }, { path: string; bytes: number }>;
const agents = researchAgents as unknown as Agent[];
const models = { tiers: { fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1" } };

/** The writer with other instructions: its model call is asked with another prompt than the one journaled. */
const rewordedWriter = defineAgent({
  name: "writer",
  owner: "research-team",
  purpose: "turn findings into a short report",
  dataAccess: "internal",
  model: { tier: "strong" },
  instructions: "You are an editor. Write a long, discursive essay from the findings.",
  budget: { perCall: usd(0.25) },
  input: z.object({ title: z.string(), findings: z.array(findingsSchema) }),
  output: z.string(),
  maxTurns: 2,
  maxOutputTokens: 1500,
});

/** The example's workflow, calling the reworded writer. */
const { researcher, delivery } = Object.fromEntries(agents.map((agent) => [agent.name, agent])) as Record<"researcher" | "delivery", Agent>;
const rewordedReport = defineWorkflow({
  name: researchReport.name,
  input: z.object({ title: z.string(), topics: z.array(z.string()) }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  run: async ({ title, topics }, ctx) => {
    const findings = await ctx.map(topics.map((topic) => ({ topic })), researcher);
    const report = await ctx.call(rewordedWriter, { title, findings });
    const fileName = `${title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.md`;
    return ctx.call(delivery, { fileName, report }) as Promise<{ path: string; bytes: number }>;
  },
});

async function ledgerEntries(store: Store): Promise<number> {
  return Number((await store.db.selectFrom("ledger_entries").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
}

let model: Awaited<ReturnType<typeof startOfflineModel>>;
beforeAll(async () => {
  model = await startOfflineModel();
  process.env.CADRE_OPENAI_BASE_URL = model.baseURL;
});
afterAll(async () => {
  delete process.env.CADRE_OPENAI_BASE_URL;
  await model.close();
  rmSync(reports, { recursive: true, force: true });
});

describe.each(await dialects())("replay of a model-backed research run (%s)", (dialect) => {
  const openRuntime = runtimeFixture(dialect);
  // The researchers search the example's notes: the collection is declared and its files ingested, as the demo does.
  const knowledge = [energyNotes() as unknown as KnowledgeCollection];
  async function open(agentList: Agent[], workflows: Workflow[]) {
    const runtime = await openRuntime(agentList, workflows, { models, knowledge });
    await openOperator({ store: runtime.store, principal: "research-team", models }).knowledge.add("energy-notes", { paths: [notesDirectory], baseDir: join(notesDirectory, "..") });
    return runtime;
  }

  it("re-runs the agents over their journaled model turns: same output, no model request, no file written, no ledger entry", async () => {
    const runtime = await open(agents, [researchReport as Workflow]);
    const title = `Replay Brief ${dialect}`;
    const result = await (await runtime.start(researchReport, { title, topics: ["grid-storage", "heat-pumps"] })).result();
    expect(result.status).toBe("completed");
    const { path } = result.output as { path: string };
    rmSync(path);
    const requests = model.requestCount;
    const ledger = await ledgerEntries(runtime.store);

    const report = await runtime.replay(result.runId);

    expect(report.verdict).toBe("consistent");
    expect(report.outcome).toEqual({ status: "completed", output: result.output });
    expect(model.requestCount).toBe(requests);
    expect(existsSync(path)).toBe(false);
    expect(await ledgerEntries(runtime.store)).toBe(ledger);
    const modelSteps = report.steps.filter((step) => step.type === "model");
    // Two researchers (search, then answer) and the writer.
    expect(modelSteps.length).toBe(5);
    expect(report.steps.filter((step) => step.type === "agent" && step.reexecuted).map((step) => step.name).sort()).toEqual(["delivery", "researcher", "researcher", "writer"]);
    expect(report.steps.find((step) => step.name === "writer")!.output).toContain(`# ${title}`);
  });

  it("fails at the writer's model call when its instructions changed, naming the step and the difference", async () => {
    const runtime = await open(agents, [researchReport as Workflow]);
    const result = await (await runtime.start(researchReport, { title: `Changed ${dialect}`, topics: ["heat-pumps"] })).result();
    expect(result.status).toBe("completed");
    const requests = model.requestCount;
    const changed = await open(agents.map((agent) => (agent.name === "writer" ? (rewordedWriter as Agent) : agent)), [rewordedReport as unknown as Workflow]);

    const report = await changed.replay(result.runId);

    expect(report.verdict).toBe("diverged");
    expect(report.divergence).toMatchObject({ details: { kind: "input-changed", stepKey: expect.stringMatching(/^2\.t\/1:/) } });
    expect(report.divergence!.details.difference).toMatchObject({ now: expect.stringContaining("long, discursive essay") });
    expect(report.divergence!.message).toContain("another input than the journal recorded at $.");
    expect(model.requestCount).toBe(requests);
  });
});
