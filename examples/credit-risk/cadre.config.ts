import { creditAgents } from "./agents.ts";
import { creditDecision } from "./workflow.ts";

/** The bank's policies (Cedar), decided at every effect: `cadre policy validate --config examples/credit-risk/cadre.config.ts`. */
export const creditPolicies = { dir: new URL("./policies", import.meta.url) };

/** `cadre run credit-decision --config examples/credit-risk/cadre.config.ts --input '{"applicantId":"A-1001"}'` */
export default {
  agents: creditAgents,
  workflows: [creditDecision],
  policies: creditPolicies,
  // Offered outside the process: an MCP tool (`cadre mcp`, /mcp on `cadre serve`) and an A2A skill.
  expose: { workflows: { "credit-decision": {} } },
};
