/**
 * `npm run demo:research`: research → write → deliver with model-backed agents.
 * - no key and no CADRE_OPENAI_BASE_URL: a local scripted OpenAI-compatible server (offline);
 * - CADRE_OPENAI_BASE_URL (+ OPENAI_API_KEY if needed): any OpenAI-compatible chat-completions server
 *   (`--model openai:<name> --free` for a self-hosted model with no price);
 * - OPENAI_API_KEY: OpenAI; ANTHROPIC_API_KEY: Anthropic.
 */
import { parseArgs } from "node:util";
import { Runtime, formatUsd, openOperator, spendReport, type ModelConfig } from "cadre";
import { createTestEmbeddingModel } from "cadre/testing";
import { researchAgents } from "./agents.ts";
import { energyNotes, ingestNotes } from "./knowledge.ts";
import { startOfflineModel } from "./offline-model.ts";
import { researchReport } from "./workflow.ts";

const { values } = parseArgs({ options: { store: { type: "string" }, model: { type: "string" }, free: { type: "boolean", default: false } } });
const online = Boolean(process.env.CADRE_OPENAI_BASE_URL || process.env.OPENAI_API_KEY || process.env.ANTHROPIC_API_KEY);
const offline = online ? undefined : await startOfflineModel();
if (offline) process.env.CADRE_OPENAI_BASE_URL = offline.baseURL;

const useAnthropic = !process.env.CADRE_OPENAI_BASE_URL && !process.env.OPENAI_API_KEY && Boolean(process.env.ANTHROPIC_API_KEY);
// Embeddings for hybrid search: OpenAI's when its key is set; offline, a deterministic local embedder
// (feature hashing, priced like text-embedding-3-small so the metering shows); otherwise full text only.
const offlineEmbedding = "offline:hash-embedding";
const embedding = offline ? offlineEmbedding : process.env.OPENAI_API_KEY && !process.env.CADRE_OPENAI_BASE_URL ? "openai:text-embedding-3-small" : undefined;
const models: ModelConfig = {
  tiers: useAnthropic
    ? { fast: "anthropic:claude-haiku-4-5", strong: "anthropic:claude-sonnet-4-5" }
    : { fast: values.model ?? "openai:gpt-4o-mini", strong: values.model ?? "openai:gpt-4.1" },
  // A self-hosted model has no list price: --free says so explicitly (never assumed).
  prices: {
    ...(values.model && values.free ? { [values.model]: { inputPerMillion: 0, outputPerMillion: 0 } } : {}),
    ...(offline ? { [offlineEmbedding]: { inputPerMillion: 20_000, outputPerMillion: 0 } } : {}),
  },
  ...(offline ? { embeddingInstances: { [offlineEmbedding]: createTestEmbeddingModel() } } : {}),
};

const runtime = await Runtime.open({ store: values.store, agents: researchAgents, workflows: [researchReport], models, knowledge: [energyNotes(embedding)] });
try {
  const backend = offline ? `offline scripted model at ${offline.baseURL}` : useAnthropic ? "Anthropic" : process.env.CADRE_OPENAI_BASE_URL ?? "OpenAI";
  console.log(`Cadre research demo · models: ${backend}`);
  const ingested = await ingestNotes(runtime.store, models);
  const count = (status: string) => ingested.documents.filter((document) => document.status === status).length;
  console.log(`knowledge: energy-notes · ${count("added") + count("updated")} files ingested, ${count("unchanged")} unchanged, ${embedding ? `hybrid search (${embedding})` : "full-text search"}\n`);
  const handle = await runtime.start(researchReport, { title: "Energy Transition Brief", topics: ["grid-storage", "heat-pumps", "green-hydrogen"] });
  const result = await handle.result();
  if (result.status !== "completed" || !result.output) {
    console.log(`run ${result.status}: ${result.error?.code} ${result.error?.message}`);
    process.exitCode = 1;
  } else {
    console.log(`report written: ${result.output.path} (${result.output.bytes} bytes)\n`);
    const rows = await spendReport(runtime.store.db, { by: "agent", runId: handle.runId });
    console.log("agent        calls   tokens in/out        cost");
    for (const row of rows) console.log(`${row.key.padEnd(12)} ${String(row.calls).padStart(5)}   ${`${row.inputTokens} / ${row.outputTokens}`.padEnd(18)} ${formatUsd(row.spentMicros).padStart(9)}`);
    const total = rows.reduce((sum, row) => sum + row.spentMicros, 0);
    console.log(`${"run total".padEnd(38)} ${formatUsd(total).padStart(9)}`);
    // Who saw what: every knowledge.search is audited with the documents and chunks it returned.
    console.log("\nknowledge read (audit):");
    for await (const record of openOperator({ store: runtime.store }).audit.export({ runId: handle.runId })) {
      if (record.kind !== "knowledge.retrieved") continue;
      const hits = record.data.hits as Array<{ source: string; chunkId: string }>;
      console.log(`  ${record.agent} searched "${record.data.query}" → ${[...new Set(hits.map((hit) => hit.source))].join(", ")} (${hits.length} chunks)`);
    }
    console.log(`\ninspect: npx cadre show ${handle.runId}   ·   costs: npx cadre spend --run ${handle.runId} --by model`);
  }
} finally {
  await runtime.close();
  await offline?.close();
}
