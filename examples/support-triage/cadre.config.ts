import { generalist, supportWriter, ticketRouter } from "./agents.ts";
import { offlineModel } from "./offline-model.ts";
import { triage, triageSingle } from "./workflows.ts";

/**
 * Support triage, runnable with no keys: the tiers name hosted models (so the shipped prices
 * apply), and `instances` answers for them offline. Drop `instances` and set OPENAI_API_KEY to
 * run the same agents on the real models.
 *
 *   npx cadre eval ticket-router --config examples/support-triage/cadre.config.ts \
 *     --dataset examples/support-triage/tickets.jsonl --field route --min-accuracy 0.8
 *   npx cadre run triage --config examples/support-triage/cadre.config.ts --input '{"ticket":"I was charged twice"}'
 *   npx cadre cost --workflow triage --volume 1000/day --what-if support-writer=openai:gpt-4o-mini --baseline triage-single
 */
export default {
  agents: [ticketRouter, supportWriter, generalist],
  workflows: [triage, triageSingle],
  models: {
    tiers: { fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1" },
    instances: { "openai:gpt-4o-mini": offlineModel("gpt-4o-mini"), "openai:gpt-4.1": offlineModel("gpt-4.1") },
  },
};
