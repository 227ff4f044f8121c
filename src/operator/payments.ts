import { appendAudit } from "../governance/audit-log.ts";
import { requireAgent } from "../governance/inventory.ts";
import { createPaymentKey, paymentKey, trustedPayers, trustPayer, type PaymentKey, type TrustedPayer } from "../interop/x402/payment-keys.ts";
import { receivedPayments, type ReceivedPayment } from "../interop/x402/payments-received.ts";
import { PaymentKeyMissingError } from "../interop/x402/x402-errors.ts";
import type { OperatorContext } from "./operator-context.ts";

/**
 * x402 payments: an agent's Ed25519 payment key (it signs the IOUs the agent pays with), the
 * payers whose IOUs this store accepts, and the payments it received. Each change is audited.
 */
export class PaymentOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** The agent's payment key pair, created on first use (a payee trusts the public key it was given: keys never rotate silently). */
  async createKey(agent: string): Promise<PaymentKey & { created: boolean }> {
    const { store, principal } = this.#context;
    await requireAgent(store, agent);
    return store.transaction(async (tx) => {
      const now = this.#context.now();
      const created = await createPaymentKey(tx, agent, now);
      if (created.created) await appendAudit(tx, store.dialect, [{ kind: "x402.key.created", at: now, agent, principal, data: { agent, publicKey: created.publicKey } }]);
      return created;
    });
  }

  /** The agent's payment public key; PAYMENT_KEY_MISSING when it has none. */
  async key(agent: string): Promise<PaymentKey> {
    const key = await paymentKey(this.#context.store.db, agent);
    if (!key) throw new PaymentKeyMissingError({ agent });
    return key;
  }

  /** Accepts IOUs from `payer` (an agent of another store) signed with `publicKey`. */
  trust(payer: string, publicKey: string): Promise<TrustedPayer> {
    const { store, principal } = this.#context;
    return store.transaction(async (tx) => {
      const now = this.#context.now();
      const added = await trustPayer(tx, { payer, publicKey, by: principal, now });
      await appendAudit(tx, store.dialect, [{ kind: "x402.trusted", at: now, principal, data: { payer, publicKey } }]);
      return added;
    });
  }

  /** The payers whose IOUs this store accepts. */
  trusted(): Promise<TrustedPayer[]> {
    return trustedPayers(this.#context.store.db);
  }

  /** Payments this store received and settled, newest first. */
  received(options: { payer?: string; limit?: number } = {}): Promise<ReceivedPayment[]> {
    return receivedPayments(this.#context.store.db, options);
  }
}
