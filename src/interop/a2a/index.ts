export { remoteAgent, remoteAgentScope, remoteAgentCredentialEnv, type RemoteAgentOptions } from "./remote-agent.ts";
export { RemoteAgentError } from "./a2a-errors.ts";
