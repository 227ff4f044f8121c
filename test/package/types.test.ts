import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, type ApprovalDecision } from "../../src/index.ts";

// These cases are checked by `npm run typecheck` (tsconfig includes test/): a wrong type is a
// compile error, an `@ts-expect-error` that no longer errors is one too.
const searchKb = defineTool({
  name: "search-kb",
  description: "search the knowledge base",
  input: z.object({ query: z.string() }),
  output: z.object({ hits: z.array(z.string()) }),
  run: ({ query }) => ({ hits: [query] }),
});
const count = defineTool({ name: "count", description: "count", input: z.object({ text: z.string() }), output: z.number(), run: ({ text }) => text.length });

describe("public types", () => {
  it("types a tool call by name from the agent's declared tools", () => {
    const agent = defineAgent({
      name: "typed-tools",
      owner: "tests",
      purpose: "calls tools by name",
      tools: [searchKb, count],
      input: z.object({ query: z.string() }),
      output: z.number(),
      run: async ({ query }, context) => {
        const found = await context.tools.call("search-kb", { query });
        expectTypeOf(found).toEqualTypeOf<{ hits: string[] }>();
        const length = await context.tools.call("count", { text: query });
        expectTypeOf(length).toEqualTypeOf<number>();
        // @ts-expect-error: the input of "search-kb" has no field "q"
        await context.tools.call("search-kb", { q: query }).catch(() => undefined);
        // @ts-expect-error: the agent declares no tool "missing"
        await context.tools.call("missing", {}).catch(() => undefined);
        return found.hits.length + length;
      },
    });
    expect(agent.tools?.map((tool) => tool.name)).toEqual(["search-kb", "count"]);
  });

  it("a model-backed agent without input or output takes and returns text", () => {
    const researcher = defineAgent({ name: "researcher", owner: "tests", purpose: "types", model: { tier: "fast" }, instructions: "answer" });
    defineWorkflow({
      name: "typed-call",
      input: z.object({ topic: z.string() }),
      output: z.string(),
      run: async ({ topic }, ctx) => {
        // @ts-expect-error: the default input is a string, not an object
        await ctx.call(researcher, { topic }).catch(() => undefined);
        const answer = await ctx.call(researcher, topic);
        expectTypeOf(answer).toEqualTypeOf<string>();
        return answer;
      },
    });
    expect(researcher.input.safeParse("a topic").success).toBe(true);
  });

  it("an approval decision is always an approval: a rejection throws instead", () => {
    expectTypeOf<ApprovalDecision["approved"]>().toEqualTypeOf<true>();
  });
});
