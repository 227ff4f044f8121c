import { CadreError } from "../errors.ts";

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
  constructor(message: string, details: Record<string, unknown> & { reason?: ModelConfigurationReason }) {
    super("CONFIGURATION", message, { details });
  }
}

/** The model misbehaved: too many turns, or output that stays invalid after a repair turn. */
export class ModelBehaviourError extends CadreError {
  constructor(code: "MAX_TURNS" | "INVALID_OUTPUT" | "MODEL_ERROR", message: string, details: Record<string, unknown>, retryable = false) {
    // A model's invalid answer is the model's fault, not a validation error of Cadre's.
    super(code, message, { details, retryable, fault: "model" });
  }
}
