/**
 * `npm run demo:research`: research → write → deliver with model-backed agents.
 * - no key and no CADRE_OPENAI_BASE_URL: a local scripted OpenAI-compatible server (offline);
 * - CADRE_OPENAI_BASE_URL (+ OPENAI_API_KEY if needed): any OpenAI-compatible chat-completions server
 *   (`--model openai:<name> --free` for a self-hosted model with no price);
 * - OPENAI_API_KEY: OpenAI; ANTHROPIC_API_KEY: Anthropic.
 */
import { parseArgs } from "node:util";
import { Runtime, formatUsd, spendReport, type ModelConfig } from "cadre";
import { researchAgents } from "./agents.ts";
import { startOfflineModel } from "./offline-model.ts";
import { researchReport } from "./workflow.ts";

const { values } = parseArgs({ options: { store: { type: "string" }, model: { type: "string" }, free: { type: "boolean", default: false } } });
const online = Boolean(process.env.CADRE_OPENAI_BASE_URL || process.env.OPENAI_API_KEY || process.env.ANTHROPIC_API_KEY);
const offline = online ? undefined : await startOfflineModel();
if (offline) process.env.CADRE_OPENAI_BASE_URL = offline.baseURL;

const useAnthropic = !process.env.CADRE_OPENAI_BASE_URL && !process.env.OPENAI_API_KEY && Boolean(process.env.ANTHROPIC_API_KEY);
const models: ModelConfig = {
  tiers: useAnthropic
    ? { fast: "anthropic:claude-haiku-4-5", strong: "anthropic:claude-sonnet-4-5" }
    : { fast: values.model ?? "openai:gpt-4o-mini", strong: values.model ?? "openai:gpt-4.1" },
  // A self-hosted model has no list price: --free says so explicitly (never assumed).
  ...(values.model && values.free ? { prices: { [values.model]: { inputPerMillion: 0, outputPerMillion: 0 } } } : {}),
};

const runtime = await Runtime.open({ store: values.store, agents: researchAgents, workflows: [researchReport], models });
try {
  const backend = offline ? `offline scripted model at ${offline.baseURL}` : useAnthropic ? "Anthropic" : process.env.CADRE_OPENAI_BASE_URL ?? "OpenAI";
  console.log(`Cadre research demo · models: ${backend}\n`);
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
    console.log(`\ninspect: npx cadre show ${handle.runId}   ·   costs: npx cadre spend --run ${handle.runId} --by model`);
  }
} finally {
  await runtime.close();
  await offline?.close();
}
