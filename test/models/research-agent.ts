/** The model-backed researcher the model tests share: a notes tool, an answer schema, an agent to override. */
import { z } from "zod";
import { defineAgent, defineTool, type Agent, type Tool } from "../../src/index.ts";

export const briefSchema = z.object({ summary: z.string(), confidence: z.number().min(0).max(1) });

/** A notes lookup; `onCall` counts calls that really ran. */
export function notesTool(options: { price?: number; onCall?: () => void } = {}): Tool {
  return defineTool({
    name: "notes",
    description: "look up research notes on a topic",
    input: z.object({ topic: z.string() }),
    output: z.object({ notes: z.string() }),
    price: options.price,
    run: ({ topic }) => {
      options.onCall?.();
      return { notes: `three facts about ${topic}` };
    },
  });
}

/** A researcher on `model` with the notes tool, answering `briefSchema` within 4 turns. */
export function researcherWith(model: string, notes: Tool, overrides: Partial<Parameters<typeof defineAgent>[0]> = {}): Agent {
  return defineAgent({
    name: "researcher",
    owner: "tests",
    purpose: "researches a topic",
    model,
    instructions: "Research the topic with your notes tool, then answer.",
    tools: [notes],
    grants: [{ scope: "tool:notes" }],
    input: z.object({ topic: z.string() }),
    output: briefSchema,
    maxTurns: 4,
    ...overrides,
  } as never);
}
