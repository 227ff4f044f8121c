import { afterEach } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, Runtime, usd } from "../../src/index.ts";
import { listen, type ListeningServer } from "../../src/server/listen.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { paidTool } from "../governance/fixtures.ts";
import { freshStoreLocation } from "../helpers/stores.ts";
import { clerk, spend } from "../operator/setup.ts";

/** What the writer's model streams, a few words at a time. */
export const briefingAnswer = "Applicant A-1042: clean bureau file, stable income, no open disputes. Recommend approval at the standard rate.";

/** A bureau lookup at two cents. */
const bureau = paidTool({ name: "bureau", price: usd(0.02) });

/** The dev playground over a workflow with everything a run page draws: model turns with tokens, tool calls, a child run, a refusal. */
export function demoServer() {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return async (): Promise<{ server: ListeningServer; runtime: Runtime }> => {
    const model = createScriptedModel({
      provider: "demo",
      modelId: "analyst",
      script: [
        { toolCalls: [{ name: "bureau", arguments: { i: 1 } }], usage: { promptTokens: 1200, completionTokens: 40 } },
        { text: "The applicant's bureau file is clean: no defaults in 24 months. Recommend approval at the standard rate.", usage: { promptTokens: 1450, completionTokens: 120 } },
      ],
    });
    const analyst = defineAgent({
      name: "analyst",
      owner: "credit",
      purpose: "reads the bureau file and recommends",
      risk: "high",
      model: "demo:analyst",
      instructions: "Check the bureau file, then recommend.",
      tools: [bureau],
      grants: [{ scope: bureau.scope }],
      input: z.object({ applicant: z.string() }),
      output: z.string(),
    });
    // Holds no grant for the bureau: its call is refused by the gateway.
    const intern = defineAgent({
      name: "intern",
      owner: "credit",
      purpose: "tries the bureau without a grant",
      tools: [bureau],
      input: z.object({}),
      output: z.any(),
      run: (_input, context) => context.tools.call(bureau, { i: 2 }),
    });
    const review = defineWorkflow({
      name: "credit-review",
      input: z.object({ applicant: z.string() }),
      output: z.any(),
      budget: { allocation: usd(20), perRun: usd(2) },
      run: async ({ applicant }, ctx) => {
        const recommendation = await ctx.call(analyst, { applicant });
        const refused = await ctx.call(intern, {}).then(
          () => "allowed",
          (error: { code?: string }) => error.code ?? "refused",
        );
        const fees = await ctx.call(spend, { calls: 2 });
        return { recommendation, refused, fees };
      },
    });
    // Writes after a person says go: a run page opened while it waits sees the answer stream in.
    const writer = defineAgent({
      name: "writer",
      owner: "credit",
      purpose: "writes the briefing",
      model: "demo:writer",
      instructions: "Write a two-sentence briefing.",
      input: z.object({ applicant: z.string() }),
      output: z.string(),
    });
    const briefing = defineWorkflow({
      name: "briefing",
      input: z.object({ applicant: z.string() }),
      output: z.string(),
      budget: { allocation: usd(20), perRun: usd(2) },
      run: async ({ applicant }, ctx) => {
        await ctx.approval("go", { request: { applicant } });
        return ctx.call(writer, { applicant });
      },
    });
    const writerModel = createScriptedModel({ provider: "demo", modelId: "writer", script: [{ text: briefingAnswer, usage: { promptTokens: 300, completionTokens: 30 } }] });
    const location = await freshStoreLocation("sqlite");
    opened.push(() => location.cleanup());
    const runtime = await Runtime.open({
      store: location.location,
      agents: [analyst, intern, clerk, writer],
      workflows: [review, spend, briefing],
      models: {
        instances: { "demo:analyst": model, "demo:writer": writerModel },
        prices: { "demo:analyst": { inputPerMillion: usd(3), outputPerMillion: usd(15) }, "demo:writer": { inputPerMillion: usd(3), outputPerMillion: usd(15) } },
      },
    });
    opened.push(() => runtime.close());
    const server = await listen({ runtime, auth: { mode: "dev" }, host: "127.0.0.1", port: 0 });
    opened.push(() => server.close());
    return { server, runtime };
  };
}
