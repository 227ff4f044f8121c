import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, defineAgent, defineWorkflow, Runtime } from "../../src/index.ts";

const echo = defineAgent({ name: "echo", owner: "tests", purpose: "Repeats what it is told.", input: z.string(), output: z.string(), run: (text) => text });
const greet = defineWorkflow({ name: "greet", description: "Greets someone.", input: z.object({ name: z.string() }), output: z.string(), run: async ({ name }) => `hello ${name}` });

async function refusal(expose: Parameters<typeof Runtime.open>[0] extends infer O ? (O extends { expose?: infer E } ? E : never) : never): Promise<CadreError> {
  const error = await Runtime.open({ store: ":memory:", agents: [echo], workflows: [greet], expose }).then(
    async (runtime) => {
      await runtime.close();
      throw new Error("the runtime opened");
    },
    (caught: unknown) => caught,
  );
  if (!CadreError.is(error)) throw error;
  return error;
}

describe("expose: what a runtime offers outside the process", () => {
  it("resolves named workflows and agents with their descriptions, prices and protocols", async () => {
    const runtime = await Runtime.open({ store: ":memory:", agents: [echo], workflows: [greet], expose: { workflows: { greet: { price: 2500 } }, agents: { echo: { via: ["a2a"], description: "An echo." } } } });
    try {
      expect(runtime.exposed.map(({ kind, name, description, price, via }) => ({ kind, name, description, price, via }))).toEqual([
        { kind: "workflow", name: "greet", description: "Greets someone.", price: 2500, via: ["a2a"] },
        { kind: "agent", name: "echo", description: "An echo.", price: 0, via: ["a2a"] },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it("exposes nothing unless named", async () => {
    const runtime = await Runtime.open({ store: ":memory:", agents: [echo], workflows: [greet] });
    expect(runtime.exposed).toEqual([]);
    await runtime.close();
  });

  it("refuses an undefined name, a negative price and an unknown protocol, naming the field", async () => {
    const unknown = await refusal({ workflows: { nope: {} } });
    expect(unknown.code).toBe("CONFIGURATION");
    expect(unknown.details.field).toBe("expose.workflows.nope");
    expect(unknown.message).toContain("greet");
    const price = await refusal({ agents: { echo: { price: -1 } } });
    expect(price.details.field).toBe("expose.agents.echo.price");
    const via = await refusal({ agents: { echo: { via: ["grpc" as "mcp"] } } });
    expect(via.details.field).toBe("expose.agents.echo.via");
    // Only A2A calls are charged: a priced target over MCP would be free there.
    const pricedOverMcp = await refusal({ agents: { echo: { price: 10, via: ["mcp", "a2a"] } } });
    expect(pricedOverMcp.details.field).toBe("expose.agents.echo.via");
  });
});

describe("exposed calls: who may call, under which principal", () => {
  it("an agent needs expose:<name>; a refusal is audited; a call is a run under the caller's principal", async () => {
    const { openOperator } = await import("../../src/index.ts");
    const { authenticateCaller, callableTargets, startExposedCall } = await import("../../src/server/exposed-calls.ts");
    const buyer = defineAgent({ name: "buyer", owner: "tests", purpose: "Buys answers.", input: z.string(), output: z.string(), run: (text) => text });
    const runtime = await Runtime.open({ store: ":memory:", agents: [echo, buyer], workflows: [greet], expose: { workflows: { greet: {} }, agents: { echo: { via: ["a2a"] } } } });
    try {
      const operator = openOperator({ store: runtime.store });
      const { secret } = await operator.credentials.create("buyer");
      const caller = await authenticateCaller(operator, secret);
      expect(caller).toEqual({ kind: "agent", name: "buyer" });
      expect(await callableTargets(runtime, caller, "a2a")).toEqual([]);
      const target = runtime.exposed.find((exposed) => exposed.name === "echo")!;
      const refused = await startExposedCall(runtime, { caller, target, input: "hi", via: "a2a" }).catch((error: unknown) => error);
      expect(CadreError.is(refused) && refused.code).toBe("FORBIDDEN");
      const denials = (await operator.audit.list({ kind: "expose.denied" })).items;
      expect(denials.map((record) => [record.principal, record.data.target, record.data.via])).toEqual([["agent:buyer", "echo", "a2a"]]);

      await operator.grants.add("buyer", { scope: "expose:echo" });
      expect((await callableTargets(runtime, caller, "a2a")).map((exposed) => exposed.name)).toEqual(["echo"]);
      expect(await callableTargets(runtime, caller, "mcp")).toEqual([]);
      const handle = await startExposedCall(runtime, { caller, target, input: "hi", via: "a2a" });
      const result = await handle.result();
      expect(result.status).toBe("completed");
      expect((await operator.runs.get(handle.runId)).run.principal).toBe("agent:buyer");
      await expect(authenticateCaller(operator, "cadre_00000000_nope")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    } finally {
      await runtime.close();
    }
  });
});
