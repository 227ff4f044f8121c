import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, Runtime, defineAgent, defineTool, openOperator } from "../../src/index.ts";
import { freshStoreLocation } from "../helpers/stores.ts";

const toolWith = (settings: Record<string, unknown>) => () => defineTool({ name: "t", description: "t", input: z.object({}), output: z.object({}), run: () => ({}), ...settings } as never);
const agentWith = (settings: Record<string, unknown>) => () => defineAgent({ name: "a", owner: "o", purpose: "p", input: z.object({}), output: z.object({}), run: () => ({}), ...settings } as never);

function configurationError(define: () => unknown): CadreError {
  try {
    define();
  } catch (error) {
    if (CadreError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("what policies read of definitions", () => {
  it("a tool's data class and region are checked where it is defined", () => {
    expect(toolWith({ dataClass: "financial", region: "eu-west-1" })()).toMatchObject({ dataClass: "financial", region: "eu-west-1" });
    const misspelt = configurationError(toolWith({ dataClass: "finance" }));
    expect(misspelt).toMatchObject({ code: "CONFIGURATION", details: { field: "dataClass", value: "finance" } });
    expect(misspelt.message).toContain("pii, financial");
    expect(configurationError(toolWith({ region: "EU West" }))).toMatchObject({ code: "CONFIGURATION", details: { field: "region" } });
  });

  it("an agent's clearance, region and labels are checked where it is defined", () => {
    expect(agentWith({ clearance: ["pii", "financial"], region: "eu", labels: ["eu-data"] })()).toMatchObject({ clearance: ["pii", "financial"], region: "eu", labels: ["eu-data"] });
    expect(configurationError(agentWith({ clearance: ["top-secret"] }))).toMatchObject({ code: "CONFIGURATION", details: { field: "clearance", value: "top-secret" } });
    expect(configurationError(agentWith({ clearance: "financial" }))).toMatchObject({ code: "CONFIGURATION", details: { field: "clearance" } });
    expect(configurationError(agentWith({ labels: ["EU Data"] }))).toMatchObject({ code: "CONFIGURATION", details: { field: "labels" } });
  });

  it("the inventory lists an agent's clearance without loading its code", async () => {
    const location = await freshStoreLocation("sqlite");
    try {
      const cleared = agentWith({ name: "cleared", clearance: ["financial"] })() as never;
      const runtime = await Runtime.open({ store: location.location, agents: [cleared] });
      expect((await openOperator({ store: runtime.store }).agents.get("cleared")).clearance).toEqual(["financial"]);
      await runtime.close();
    } finally {
      await location.cleanup();
    }
  });
});
