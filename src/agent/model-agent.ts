import type { ModelMessage } from "../models/model-turn.ts";
import { z } from "zod";
import { ConfigurationError, toCadreError } from "../errors.ts";
import { RunSuspended } from "../engine/run-suspended.ts";
import { ModelBehaviourError } from "../models/model-errors.ts";
import { structuredAnswerSchema } from "../models/structured-output.ts";
import type { AgentContext, AgentDefinition, RecalledMemory } from "./define-agent.ts";

/** What turns an agent into a model-backed one. */
export interface ModelAgentSettings {
  /** `provider:model-id` or a tier resolved from configuration. */
  model: string | { tier: string };
  instructions: string;
  /** Hard cap on model calls per agent call (default 10). */
  maxTurns?: number;
  /** Output allowance per model call, also the basis of the worst-case reservation (default 1024). */
  maxOutputTokens?: number;
  temperature?: number;
  /** Re-inject the run's original goal into every model call (default true). */
  goalPreamble?: boolean;
}

const isTextOutput = (schema: z.ZodType) => (z.toJSONSchema(schema, { io: "output" }) as { type?: string }).type === "string";

/**
 * The system prompt: instructions, the run's goal (against context drift), the output contract.
 * The contract stays in the prompt even when the provider also gets it as a response format:
 * a server that ignores `response_format` then still gets the prompt and the repair turn.
 */
export function systemPrompt(agent: AgentDefinition & ModelAgentSettings, goal: string | null): string {
  const parts = [agent.instructions.trim()];
  if (goal && agent.goalPreamble !== false) parts.push(`The overall goal of this run, which your work must serve: ${goal}`);
  if (!isTextOutput(agent.output)) {
    parts.push(`Answer with only a JSON value (no prose, no code fences) that matches this JSON Schema:\n${JSON.stringify(z.toJSONSchema(agent.output, { io: "output" }))}`);
  }
  return parts.join("\n\n");
}

function parseAnswer(text: string, schema: z.ZodType, textOutput: boolean): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (textOutput) return { ok: true, value: text };
  const body = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/```\s*$/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, problem: "the answer is not valid JSON" };
  }
  const result = schema.safeParse(parsed);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ") };
}

/** With `memory: { recall: n }`: the agent's n memories most relevant to the input (a governed, journaled step). */
async function recallMemories(agent: AgentDefinition, input: unknown, context: AgentContext): Promise<RecalledMemory[]> {
  const count = agent.memory?.recall;
  if (!count || !context.memory) return [];
  return context.memory.recall(typeof input === "string" ? input : JSON.stringify(input), { limit: count });
}

/** The recalled memories as a section of the system prompt, each with its id so the model can cite it. */
function withMemories(system: string, memories: RecalledMemory[]): string {
  if (memories.length === 0) return system;
  const lines = memories.map((memory) => `- ${memory.text.replace(/\s+/g, " ").trim()} (memory ${memory.chunkId})`);
  return `${system}\n\nWhat you remember from earlier runs that may be relevant:\n${lines.join("\n")}`;
}

/**
 * The tool loop of a model-backed agent, written over durable primitives: every model call
 * (`context.model.generate`) and every tool call (`context.tools.call`) is its own journaled,
 * governed step, so a resumed run replays earlier turns from the journal and pays for no
 * token twice. An invalid final answer gets one repair turn, then fails.
 *
 * Structured output: every turn asks for the answer's schema as the response format, tools
 * alongside. The model cannot be known in advance to be on its final turn (it is the one that
 * stops calling tools), and the providers combine the two: OpenAI and OpenAI-compatible servers
 * take `tools` and `response_format` together and still call tools; the AI SDK's Anthropic and
 * Google providers use a native output format beside the tools or add a `json` tool. A final
 * answer is therefore constrained on the turn it is given, with no extra call.
 */
export async function runModelLoop(agent: AgentDefinition & ModelAgentSettings, input: unknown, context: AgentContext): Promise<unknown> {
  if (!context.model) throw new ConfigurationError({ message: `Agent "${agent.name}" has a model but the runtime did not resolve it.`, agent: agent.name, field: "model" });
  const maxTurns = agent.maxTurns ?? 10;
  const textOutput = isTextOutput(agent.output);
  const system = withMemories(systemPrompt(agent, context.goal), await recallMemories(agent, input, context));
  const toolNames = (agent.tools ?? []).map((tool) => tool.name);
  const answerSchema = textOutput ? undefined : structuredAnswerSchema(agent.output);
  const messages: ModelMessage[] = [{ role: "user", content: typeof input === "string" ? input : JSON.stringify(input) }];
  let repairs = 0;

  for (let turn = 1; turn <= maxTurns; turn += 1) {
    const result = await context.model.generate({ system, messages, toolNames, maxOutputTokens: agent.maxOutputTokens ?? 1024, temperature: agent.temperature, answerSchema });
    messages.push(...result.responseMessages);
    if (result.toolCalls.length > 0) {
      const outputs = await Promise.all(
        result.toolCalls.map((call) =>
          context.tools.call(call.toolName, call.input).then(
            (value) => ({ type: "json" as const, value: value as never }),
            (error: unknown) => {
              // A call waiting for a person's approval parks the run; it is not the tool's answer.
              if (RunSuspended.is(error)) throw error;
              // The model sees refusals (a person's included) and failures and can adapt; the gateway already audited them.
              return { type: "error-text" as const, value: `${toCadreError(error).code}: ${toCadreError(error).message}` };
            },
          ),
        ),
      );
      messages.push({
        role: "tool",
        content: result.toolCalls.map((call, index) => ({ type: "tool-result" as const, toolCallId: call.toolCallId, toolName: call.toolName, output: outputs[index]! })),
      });
      continue;
    }
    const answer = parseAnswer(result.text, agent.output, textOutput);
    if (answer.ok) return answer.value;
    if (repairs >= 1) {
      throw new ModelBehaviourError({ code: "INVALID_OUTPUT", message: `Agent "${agent.name}" answered with output that does not match its schema, even after a repair turn: ${answer.problem}`, agent: agent.name, problem: answer.problem, answer: result.text.slice(0, 2000) });
    }
    repairs += 1;
    messages.push({ role: "user", content: `Your answer was rejected: ${answer.problem}. Reply again with only the corrected JSON.` });
  }
  throw new ModelBehaviourError({ code: "MAX_TURNS", message: `Agent "${agent.name}" reached its limit of ${maxTurns} model calls without a final answer.`, fix: "Raise maxTurns or give it clearer instructions.", agent: agent.name, maxTurns });
}
