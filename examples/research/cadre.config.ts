import { researchAgents } from "./agents.ts";
import { researchReport } from "./workflow.ts";

/**
 * `npx cadre run research-report --config examples/research/cadre.config.ts --input '{"title":"Brief","topics":["heat-pumps"]}'`
 * needs a model backend: OPENAI_API_KEY, or CADRE_OPENAI_BASE_URL for any OpenAI-compatible server.
 */
export default {
  agents: researchAgents,
  workflows: [researchReport],
  models: { tiers: { fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1" } },
};
