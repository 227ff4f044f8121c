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
    const fromModel = new ModelBehaviourError({ code: "INVALID_OUTPUT", message: "still not JSON" });
    expect(fromModel).toMatchObject({ code: "INVALID_OUTPUT", fault: "model" });
    expect(new CadreError("INVALID_OUTPUT", "bad").fault).toBe("validation");
    expect(fromSerializedError(fromModel.toJSON())).toMatchObject({ code: "INVALID_OUTPUT", fault: "model", message: "still not JSON" });
  });
});

describe("definition mistakes", () => {
  it("are ConfigurationErrors naming the agent, tool or workflow and the field", async () => {
    const { defineAgent, defineTool, defineWorkflow } = await import("../../src/index.ts");
    const { z } = await import("zod");
    expect(() => defineAgent({ name: "Bad Name", owner: "t", purpose: "t", input: z.string(), output: z.string(), run: (s: string) => s })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION", details: { agent: "Bad Name", field: "name" } }),
    );
    expect(() => defineTool({ name: "quote", description: "d", input: z.object({}), output: z.object({}), price: 0.5, run: async () => ({}) })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION", details: { tool: "quote", field: "price" } }),
    );
    expect(() => defineWorkflow({ name: "Nope!", input: z.object({}), output: z.any(), run: async () => 1 })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: { workflow: "Nope!", field: "name" } }));
  });
});
