/** A text-answering model agent with one priced tool, and a workflow that calls it: shared by the streaming tests. */
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, usd, type Agent, type RuntimeEvent, type Tool } from "../../src/index.ts";

export const price = { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 };

export function weatherTool(options: { needsApproval?: Tool["needsApproval"]; onCall?: (input: { city: string }) => void } = {}): Tool {
  return defineTool({
    name: "weather",
    description: "today's weather in a city",
    input: z.object({ city: z.string() }),
    output: z.object({ forecast: z.string() }),
    price: 10,
    ...(options.needsApproval === undefined ? {} : { needsApproval: options.needsApproval }),
    run: (input) => {
      options.onCall?.(input);
      return { forecast: `sunny in ${input.city}` };
    },
  });
}

export function writer(model: string, tool: Tool, overrides: Record<string, unknown> = {}): Agent {
  return defineAgent({
    name: "writer",
    owner: "tests",
    purpose: "writes a short answer",
    model,
    instructions: "Answer the question; use the weather tool when asked about weather.",
    tools: [tool],
    grants: [{ scope: "tool:weather" }],
    maxTurns: 4,
    ...overrides,
  } as never);
}

export function askWorkflow(agent: Agent) {
  return defineWorkflow({
    name: "ask",
    input: z.object({ question: z.string() }),
    output: z.string(),
    budget: { perRun: usd(1), allocation: usd(10) },
    run: (input, ctx) => ctx.call(agent, input.question),
  });
}

/** Everything an iterator yields, in order. */
export async function collect(events: AsyncIterable<RuntimeEvent>): Promise<RuntimeEvent[]> {
  const seen: RuntimeEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}
