import { z } from "zod";
import { defineAgent, knowledgeSearch, usd } from "cadre";
import { writeReport } from "./tools.ts";

export const findingsSchema = z.object({
  topic: z.string(),
  findings: z.array(z.string()).min(1),
  /** The notes the findings come from (knowledge sources), so the report can cite them. */
  sources: z.array(z.string()),
  confidence: z.number().min(0).max(1),
});

/** One researcher definition per topic would be wasteful: one agent, called three times in parallel. */
export const researcher = defineAgent({
  name: "researcher",
  owner: "research-team",
  purpose: "collect findings on one topic from the research notes",
  // The notes are internal: an agent cleared for less could hold the grant and still be refused.
  dataAccess: "internal",
  model: { tier: "fast" },
  instructions:
    "You are a research analyst. Search the energy-notes knowledge collection (knowledge.search) for the topic you are given, then report the key findings faithfully, with the sources of the passages you used. Do not invent facts.",
  // Governed: each search needs the grant for its collection, is audited with the chunks it returned, and pays for its embedding.
  tools: [knowledgeSearch({ collections: ["energy-notes"], limit: 3 })],
  grants: [{ scope: "knowledge:energy-notes" }],
  budget: { perCall: usd(0.05), perDay: usd(5) },
  input: z.object({ topic: z.string() }),
  output: findingsSchema,
  confidenceThreshold: 0.5,
  maxTurns: 4,
});

export const writer = defineAgent({
  name: "writer",
  owner: "research-team",
  purpose: "turn findings into a short report",
  dataAccess: "internal",
  model: { tier: "strong" },
  instructions: "You are an editor. Write a concise markdown report (title, one section per topic with its sources, a closing paragraph) from the findings you are given. Use only those findings.",
  budget: { perCall: usd(0.25) },
  input: z.object({ title: z.string(), findings: z.array(findingsSchema) }),
  output: z.string(),
  maxTurns: 2,
  maxOutputTokens: 1500,
});

export const delivery = defineAgent({
  name: "delivery",
  owner: "research-team",
  purpose: "deliver the report as a file in the reports folder",
  dataAccess: "internal",
  tools: [writeReport],
  // Least privilege: it may write files, but only inside the reports folder.
  grants: [{ scope: "fs:write", resource: "reports/*" }],
  input: z.object({ fileName: z.string(), report: z.string() }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  run: ({ fileName, report }, context) => context.tools.call(writeReport, { path: fileName, content: report }),
});

export const researchAgents = [researcher, writer, delivery];
