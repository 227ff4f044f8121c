import { InputValidationError } from "../errors.ts";
import { appendAudit } from "../governance/audit-log.ts";
import { insertOperatorKey, isOperatorRole, listOperatorKeys, operatorRoles, revokeOperatorKeys, verifyOperatorKey, type IssuedOperatorKey, type OperatorKeyRecord, type OperatorRole } from "../governance/operator-keys.ts";
import type { OperatorContext } from "./operator-context.ts";

const operatorNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Keys for the HTTP API (`cadre serve`): each names an operator and a role. The secret is
 * shown once and only its hash is kept, like an agent's credentials; issuing and revoking are audited.
 */
export class OperatorKeyOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** A new key for `operator` with `role`: the returned `secret` is the only time it is shown. Audited as `operator-key.created`. */
  async create(options: { operator: string; role: OperatorRole }): Promise<IssuedOperatorKey> {
    if (!operatorNamePattern.test(options.operator)) {
      throw new InputValidationError({ message: `An operator name is 1 to 64 letters, digits or . _ @ - and starts with a letter or digit; got "${options.operator}".`, operator: options.operator });
    }
    if (!isOperatorRole(options.role)) throw new InputValidationError({ message: `An operator's role is one of ${operatorRoles.join(", ")}; got "${String(options.role)}".`, role: options.role });
    const { store, principal } = this.#context;
    const now = this.#context.now();
    return store.transaction(async (tx) => {
      const issued = await insertOperatorKey(tx, { operator: options.operator, role: options.role, createdBy: principal, now });
      await appendAudit(tx, store.dialect, [{ kind: "operator-key.created", at: now, principal, data: { key: issued.id, operator: issued.operator, role: issued.role, prefix: issued.prefix } }]);
      return issued;
    });
  }

  /** Every key, oldest first (never the secrets); of one operator with `operator`. */
  list(options: { operator?: string } = {}): Promise<OperatorKeyRecord[]> {
    return listOperatorKeys(this.#context.store.db, options);
  }

  /**
   * Revokes every live key of `operator`, or the one key `keyId`. Audited as
   * `operator-key.revoked`. INVALID_INPUT when it names neither, or nothing live matches.
   */
  async revoke(options: { operator?: string; keyId?: string }): Promise<{ revoked: string[] }> {
    if (options.operator === undefined && options.keyId === undefined) throw new InputValidationError({ message: "Say which keys to revoke: an operator's name, or one key's id." });
    const { store, principal } = this.#context;
    const now = this.#context.now();
    const revoked = await store.transaction(async (tx) => {
      const ids = await revokeOperatorKeys(tx, { ...options, now });
      if (ids.length > 0) await appendAudit(tx, store.dialect, [{ kind: "operator-key.revoked", at: now, principal, data: { keys: ids, operator: options.operator ?? null } }]);
      return ids;
    });
    if (revoked.length === 0) {
      const which = options.keyId !== undefined ? `key ${options.keyId}` : `operator "${options.operator}"`;
      throw new InputValidationError({ message: `No live operator key matches ${which}. List them with \`cadre keys list --operators\`.`, ...options });
    }
    return { revoked };
  }

  /** The live key a presented secret is (marking it used, to the minute), or null: a malformed, unknown or revoked secret. */
  authenticate(secret: string): Promise<OperatorKeyRecord | null> {
    return verifyOperatorKey(this.#context.store.db, { secret, now: this.#context.now() });
  }
}
