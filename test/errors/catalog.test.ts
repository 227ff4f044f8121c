import { describe, expect, it } from "vitest";
import { CadreError, errorCatalog, fromSerializedError } from "../../src/errors.ts";
import { ModelBehaviourError } from "../../src/models/model-errors.ts";

describe("the error catalog", () => {
  it("gives every code a fault and an HTTP status in the error range", () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      expect(["configuration", "input", "budget", "permission", "validation", "model", "system", "timeout"], code).toContain(entry.fault);
      expect(entry.http, code).toBeGreaterThanOrEqual(400);
      expect(entry.http, code).toBeLessThan(600);
    }
  });

  it("an error takes its fault from its code unless it says otherwise, and keeps it through the journal", () => {
    expect(new CadreError("BUDGET_EXCEEDED", "no money").fault).toBe("budget");
    expect(new CadreError("STEP_TIMEOUT", "slow").fault).toBe("timeout");
    // The same code, the model's fault when a model wrote the invalid output.
    const fromModel = new ModelBehaviourError("INVALID_OUTPUT", "still not JSON", {});
    expect(fromModel).toMatchObject({ code: "INVALID_OUTPUT", fault: "model" });
    expect(new CadreError("INVALID_OUTPUT", "bad").fault).toBe("validation");
    expect(fromSerializedError(fromModel.toJSON())).toMatchObject({ code: "INVALID_OUTPUT", fault: "model", message: "still not JSON" });
  });
});
