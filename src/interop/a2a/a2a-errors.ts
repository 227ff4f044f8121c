import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../../errors.ts";

/**
 * A call of a remote A2A agent that did not give an answer: the agent could not be reached,
 * its card does not offer the skill, it refused the call (`remoteCode` is the remote's reason,
 * e.g. FORBIDDEN or BUDGET_EXCEEDED from another Cadre), or its task failed, was cancelled or
 * waits for input. Retryable only when trying again may help (the network, a 5xx).
 */
export class RemoteAgentError extends CadreError {
  constructor(details: MessageDetails & { agent: string; url: string; remoteCode?: string; taskId?: string; state?: string }, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("REMOTE_AGENT_FAILED", message, { ...options, details: facts });
  }
}
