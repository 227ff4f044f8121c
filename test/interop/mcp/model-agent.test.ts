import { describe, expect, it } from "vitest";
import { defineAgent, defineWorkflow, mcpServer, Runtime } from "../../../src/index.ts";
import { createScriptedModel } from "../../../src/testing/index.ts";
import { listenToolServer, newState } from "./fixtures/tool-server.ts";

describe("a model-backed agent given an MCP server's tools", () => {
  it("is offered them with the server's schemas and its tool calls go through the gateway to the server", { timeout: 60_000 }, async () => {
    const state = newState();
    const server = await listenToolServer(state);
    const model = createScriptedModel({ script: [{ toolCalls: [{ name: "mcp_crm_lookup", arguments: { id: "C-9" } }] }, { toolCalls: [{ name: "mcp_crm_fail", arguments: {} }] }, { text: "Customer C-9 found." }] });
    const crm = mcpServer({ name: "crm", url: server.url });
    // Only lookup is granted: the model's call of fail is refused by the gateway and it sees the refusal.
    const assistant = defineAgent({ name: "assistant", owner: "tests", purpose: "Answers about customers.", model: "scripted:model", instructions: "Look customers up.", tools: crm.tools(), grants: [{ scope: "mcp:crm:lookup" }] });
    const workflow = defineWorkflow({ name: "ask", input: assistant.input, output: assistant.output, run: (question, ctx) => ctx.call(assistant, question) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [assistant], workflows: [workflow], models: { instances: { "scripted:model": model }, prices: { "scripted:model": { inputPerMillion: 0, outputPerMillion: 0 } } } });
    try {
      const result = await (await runtime.start(workflow, "Who is C-9?")).result();
      expect(result.error).toBeUndefined();
      expect(result.output).toBe("Customer C-9 found.");
      const offered = (model.calls[0]!.tools ?? []) as Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }>;
      expect(offered.map((tool) => tool.name).sort()).toEqual(["mcp_crm_fail", "mcp_crm_hang", "mcp_crm_lookup", "mcp_crm_second"]);
      expect(offered.find((tool) => tool.name === "mcp_crm_lookup")!.inputSchema.properties).toHaveProperty("id");
      expect(state.calls).toEqual({ lookup: 1 });
      const steps = await runtime.getSteps(result.runId);
      expect(steps.filter((step) => step.type === "tool").map((step) => [step.name, step.status])).toEqual([
        ["mcp:crm:lookup", "completed"],
        ["mcp:crm:fail", "failed"],
      ]);
      // The model saw the refusal as the tool's answer.
      expect(JSON.stringify(model.calls[2]!.prompt)).toContain("PERMISSION_DENIED");
    } finally {
      await runtime.close();
      await server.close();
    }
  });
});
