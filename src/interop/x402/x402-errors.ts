import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../../errors.ts";

/** The payee asks more than the call may pay: refused before anything is signed or paid. */
export class PaymentAboveCapError extends CadreError {
  constructor(details: { url: string; askedMicros: number; capMicros: number; agent: string }, options?: CadreErrorOptions) {
    super(
      "PAYMENT_ABOVE_CAP",
      `${details.url} asks ${details.askedMicros} micro-units, above the ${details.capMicros} this call of agent ${details.agent} may pay; nothing was paid. Raise the tool's maxPrice if the price is right.`,
      { ...options, details },
    );
  }
}

/**
 * A payment the payee (or its facilitator) refused: a forged or expired IOU, a wrong amount,
 * payee or resource, a replayed nonce, an unknown payer. `reason` is the x402 reason code.
 */
export class PaymentRefusedError extends CadreError {
  constructor(details: MessageDetails & { reason: string }, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("PAYMENT_REFUSED", message, { ...options, details: facts });
  }
}

/** The agent has no payment key pair in this store: it cannot sign IOUs. */
export class PaymentKeyMissingError extends CadreError {
  constructor(details: { agent: string }, options?: CadreErrorOptions) {
    super("PAYMENT_KEY_MISSING", `Agent ${details.agent} has no x402 payment key in this store. Create one with \`cadre x402 keys create ${details.agent}\` and give the printed public key to the payee (\`cadre x402 trust ${details.agent} <publicKey>\` on its store).`, { ...options, details });
  }
}
