import { z } from "zod";
import { ConfigurationError } from "../errors.ts";
import { defineTool, type Tool } from "../governance/define-tool.ts";
import type { RememberedMemory } from "./memory.ts";

/** The tool's name, as agents (and models) call it. */
export const rememberToolName = "memory.remember";

export interface RememberInput {
  text: string;
  thread?: string | undefined;
}

/** The tool a model-backed agent declares to choose, itself, what to remember. */
export interface RememberTool extends Tool<RememberInput, RememberedMemory> {
  readonly memory: "remember";
}

/**
 * `memory.remember` for a model-backed agent's `tools`: the model decides which facts to keep.
 * Each call is the same governed step as `context.memory.remember` (grant `memory:remember`
 * on the agent's memory collection, data access checked, audited); the agent needs `memory`.
 */
export function rememberFact(): RememberTool {
  const tool = defineTool({
    name: rememberToolName,
    description: "Remember a fact about the person you work for, for later conversations. Keep it short and self-contained.",
    input: z.object({ text: z.string().min(1).describe("the fact, in one sentence"), thread: z.string().optional().describe("the conversation or case it belongs to") }),
    output: z.object({ collection: z.string(), documentId: z.string(), chunkIds: z.array(z.string()), expiresAt: z.number().nullable() }),
    scope: "memory:remember",
    run: () => {
      throw new ConfigurationError({ message: `${rememberToolName} runs only through an agent's context.tools, where the gateway governs it.`, tool: rememberToolName });
    },
  }) as Tool<RememberInput, RememberedMemory>;
  return { ...tool, memory: "remember" };
}

export function isRememberTool(tool: Tool): tool is RememberTool {
  return (tool as Partial<RememberTool>).memory === "remember" && tool.name === rememberToolName;
}
