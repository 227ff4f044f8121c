import { issueCredential, revokeAgentCredentials } from "../governance/admin.ts";
import { listCredentials, verifyCredential, type CredentialRecord, type IssuedCredential } from "../governance/credentials.ts";
import type { AgentOperations } from "./agents.ts";
import { adminContext, type OperatorContext } from "./operator-context.ts";

/** Agent credentials: random secrets shown once (only their hash is kept), rotated and revoked. Each change is audited. */
export class CredentialOperations {
  readonly #context: OperatorContext;
  readonly #agents: AgentOperations;

  constructor(context: OperatorContext, agents: AgentOperations) {
    this.#context = context;
    this.#agents = agents;
  }

  /** A new secret for the agent: the returned `secret` is the only time it is shown. */
  create(agent: string): Promise<IssuedCredential> {
    return issueCredential(adminContext(this.#context), { agent });
  }

  /** A new secret, the agent's older ones revoked in the same transaction. */
  rotate(agent: string): Promise<IssuedCredential> {
    return issueCredential(adminContext(this.#context), { agent, rotate: true });
  }

  /** Revokes every live secret of the agent. */
  async revoke(agent: string): Promise<{ agent: string; revoked: number }> {
    return { agent, revoked: await revokeAgentCredentials(adminContext(this.#context), { agent }) };
  }

  /** The agent a live secret belongs to, or null (unknown, malformed or revoked); stamps its last use. */
  verify(secret: string): Promise<string | null> {
    return this.#context.store.transaction((tx) => verifyCredential(tx, { secret, now: this.#context.now() }));
  }

  /** The agent's credentials, oldest first (never the secrets). */
  async list(agent: string): Promise<CredentialRecord[]> {
    await this.#agents.require(agent);
    return listCredentials(this.#context.store.db, agent);
  }
}
