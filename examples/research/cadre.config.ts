import { researchAgents } from "./agents.ts";
import { energyNotes } from "./knowledge.ts";
import { researchReport } from "./workflow.ts";

/**
 * `npx cadre run research-report --config examples/research/cadre.config.ts --input '{"title":"Brief","topics":["heat-pumps"]}'`
 * needs a model backend: OPENAI_API_KEY, or CADRE_OPENAI_BASE_URL for any OpenAI-compatible server,
 * and the notes ingested once: `npx cadre knowledge add energy-notes examples/research/knowledge --config examples/research/cadre.config.ts`.
 */
export default {
  agents: researchAgents,
  workflows: [researchReport],
  knowledge: [energyNotes(process.env.OPENAI_API_KEY && !process.env.CADRE_OPENAI_BASE_URL ? "openai:text-embedding-3-small" : undefined)],
  models: { tiers: { fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1" } },
};
