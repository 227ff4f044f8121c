import { InputValidationError } from "../errors.ts";
import { addGrant, revokeGrant } from "../governance/admin.ts";
import { listGrants, type GrantRecord, type GrantSpec } from "../governance/grants.ts";
import type { AgentOperations } from "./agents.ts";
import { adminContext, type OperatorContext } from "./operator-context.ts";

/** What an agent may do: its grants, and standing grants added or revoked by an operator (audited). */
export class GrantOperations {
  readonly #context: OperatorContext;
  readonly #agents: AgentOperations;

  constructor(context: OperatorContext, agents: AgentOperations) {
    this.#context = context;
    this.#agents = agents;
  }

  /** Every grant of the agent, oldest first: declared, manual and just-in-time, revoked ones included. */
  async list(agent: string): Promise<GrantRecord[]> {
    await this.#agents.require(agent);
    return listGrants(this.#context.store.db, agent);
  }

  /** Adds a standing grant (kind `manual`); audited as `grant.issued`. */
  async add(agent: string, grant: GrantSpec): Promise<GrantRecord> {
    if (grant.scope.trim() === "") throw new InputValidationError({ message: "A grant needs a scope, like tool:credit-bureau or fs:write." });
    if (grant.expiresAt !== undefined && !Number.isFinite(grant.expiresAt)) throw new InputValidationError({ message: `A grant's expiry is epoch milliseconds; got ${grant.expiresAt}.`, expiresAt: grant.expiresAt });
    if (grant.maxUses !== undefined && (!Number.isInteger(grant.maxUses) || grant.maxUses < 1)) throw new InputValidationError({ message: `A grant's maxUses must be a positive integer; got ${grant.maxUses}.`, maxUses: grant.maxUses });
    const id = await addGrant(adminContext(this.#context), { agent, grant });
    return (await this.list(agent)).find((record) => record.id === id)!;
  }

  /** Revokes one of the agent's live grants; audited as `grant.revoked`. INVALID_INPUT when the agent holds no live grant with that id. */
  async revoke(agent: string, grantId: string): Promise<GrantRecord> {
    const live = (await this.list(agent)).find((record) => record.id === grantId && record.revokedAt === null);
    if (!live || !(await revokeGrant(adminContext(this.#context), { grantId }))) {
      throw new InputValidationError({ message: `Agent "${agent}" holds no live grant with id ${grantId}.`, fix: `List them with \`cadre grants ${agent}\`.`, agent, grantId });
    }
    return (await this.list(agent)).find((record) => record.id === grantId)!;
  }
}
