import { CadreError } from "../errors.ts";

/** The model cannot be used as configured: unknown provider or tier, missing key, no price. */
export class ModelConfigurationError extends CadreError {
  constructor(message: string, details: Record<string, unknown>) {
    super("CONFIGURATION", "configuration", message, { details });
  }
}

/** The model misbehaved: too many turns, or output that stays invalid after a repair turn. */
export class ModelBehaviourError extends CadreError {
  constructor(code: "MAX_TURNS" | "INVALID_OUTPUT" | "MODEL_ERROR", message: string, details: Record<string, unknown>, retryable = false) {
    super(code, "model", message, { details, retryable });
  }
}
