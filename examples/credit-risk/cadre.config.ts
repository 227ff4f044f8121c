import { creditAgents } from "./agents.ts";
import { creditDecision } from "./workflow.ts";

/** `cadre run credit-decision --config examples/credit-risk/cadre.config.ts --input '{"applicantId":"A-1001"}'` */
export default {
  agents: creditAgents,
  workflows: [creditDecision],
};
