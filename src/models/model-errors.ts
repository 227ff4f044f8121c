import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../errors.ts";

/**
 * Why a model cannot be used as configured. Stable: match on `details.reason`, never on the
 * message, which names the exact environment variable or configuration field to fix.
 */
export type ModelConfigurationReason =
  | "invalid-model-spec"
  | "unknown-provider"
  | "invalid-provider"
  | "missing-api-key"
  | "unknown-tier"
  | "unknown-price"
  | "invalid-price";

/** The model cannot be used as configured: unknown provider or tier, missing key, no price. */
export class ModelConfigurationError extends CadreError {
  constructor(details: MessageDetails & { reason?: ModelConfigurationReason }, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("CONFIGURATION", message, { ...options, details: facts });
  }
}

/** The model misbehaved: too many turns, or output that stays invalid after a repair turn. */
export class ModelBehaviourError extends CadreError {
  constructor(details: MessageDetails & { code: "MAX_TURNS" | "INVALID_OUTPUT" | "MODEL_ERROR" }, options?: CadreErrorOptions) {
    // The code is the error's code, not one of its details.
    const { code, ...rest } = details;
    const { message, details: facts } = messageFromDetails(rest);
    // A model's invalid answer is the model's fault, not a validation error of Cadre's.
    super(code, message, { fault: "model", ...options, details: facts });
  }
}
