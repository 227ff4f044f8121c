import type { Agent } from "../../agent/define-agent.ts";
import { ConfigurationError, OutputValidationError } from "../../errors.ts";
import type { WorkflowContext } from "../context.ts";
import { LoopLimitError } from "./pattern-errors.ts";

/** Pipeline: sequential stages; each stage's output is validated (its schema, then the next stage's input schema) before it moves on. */
export async function pipeline(ctx: WorkflowContext, stages: Agent[], input: unknown): Promise<unknown> {
  let value = input;
  for (const stage of stages) value = await ctx.call(stage, value);
  return value;
}

/** What an agent in a handoff mesh answers: a final result, or control passed to a named peer. */
export type HandoffDecision = { done: true; output: unknown } | { handoff: string; reason: string; input: unknown };

/**
 * Handoffs (mesh): the current agent either finishes or hands control to a named peer with a
 * reason. Capped per run, and a ping-pong (the same two agents handing back and forth) is
 * cut off: seed 003's delegation loops.
 */
export async function handoff(ctx: WorkflowContext, options: { start: Agent<any, HandoffDecision>; peers: Array<Agent<any, HandoffDecision>>; input: unknown; maxHandoffs?: number }): Promise<{ output: unknown; path: Array<{ agent: string; reason?: string }> }> {
  const maxHandoffs = options.maxHandoffs ?? 5;
  if (!Number.isInteger(maxHandoffs) || maxHandoffs < 0) {
    throw new ConfigurationError({ message: `handoff() needs an integer maxHandoffs ≥ 0 (got ${maxHandoffs}).`, pattern: "handoff", start: options.start.name, maxHandoffs });
  }
  const byName = new Map([options.start, ...options.peers].map((agent) => [agent.name, agent]));
  let current = options.start;
  let input = options.input;
  const path: Array<{ agent: string; reason?: string }> = [{ agent: current.name }];
  for (let handoffs = 0; ; handoffs += 1) {
    const decision = await ctx.call(current, input);
    if ("done" in decision) return { output: decision.output, path };
    const next = byName.get(decision.handoff);
    if (!next) {
      throw new OutputValidationError({ message: `Agent "${current.name}" handed off to "${decision.handoff}", which is not one of its peers (${[...byName.keys()].join(", ")}).`, pattern: "handoff", agent: current.name, to: decision.handoff, peers: [...byName.keys()] });
    }
    path.push({ agent: next.name, reason: decision.reason });
    await ctx.record("handoff", { from: current.name, to: next.name, reason: decision.reason });
    const names = path.map((step) => step.agent);
    const last = names.slice(-4);
    if (last.length === 4 && last[0] === last[2] && last[1] === last[3] && last[0] !== last[1]) {
      throw new LoopLimitError({ message: `Handoff ping-pong between "${last[0]}" and "${last[1]}" was cut off: ${names.join(" → ")}.`, path: names, maxHandoffs });
    }
    if (handoffs + 1 > maxHandoffs) throw new LoopLimitError({ message: `More than ${maxHandoffs} handoffs (maxHandoffs) were requested: ${names.join(" → ")}.`, path: names, maxHandoffs });
    current = next;
    input = decision.input;
  }
}

export interface ChatMessage {
  agent: string;
  text: string;
}

/**
 * Group chat: agents take turns on a shared transcript, round-robin or chosen by a selector
 * agent, until `until` says the conversation is done or the hard round cap is reached.
 */
export async function groupChat(
  ctx: WorkflowContext,
  options: { agents: Array<Agent<any, string>>; topic: string; maxRounds: number; selector?: Agent<any, string>; until?: (transcript: ChatMessage[]) => boolean },
): Promise<{ transcript: ChatMessage[]; finished: boolean }> {
  if (!Number.isInteger(options.maxRounds) || options.maxRounds < 1) {
    throw new ConfigurationError({ message: `groupChat() needs an integer maxRounds ≥ 1 (got ${options.maxRounds}): a conversation must have a hard cap.`, pattern: "group-chat", topic: options.topic, maxRounds: options.maxRounds });
  }
  const transcript: ChatMessage[] = [];
  const names = options.agents.map((agent) => agent.name);
  for (let round = 0; round < options.maxRounds; round += 1) {
    const speakerName = options.selector ? await ctx.call(options.selector, { topic: options.topic, transcript, candidates: names }) : names[round % names.length]!;
    const speaker = options.agents.find((agent) => agent.name === speakerName);
    if (!speaker) {
      throw new OutputValidationError({ message: `Selector "${options.selector?.name}" chose "${speakerName}", who is not in the chat (${names.join(", ")}).`, pattern: "group-chat", agent: options.selector?.name, chosen: speakerName, candidates: names });
    }
    transcript.push({ agent: speaker.name, text: await ctx.call(speaker, { topic: options.topic, transcript }) });
    if (options.until?.(transcript)) return { transcript, finished: true };
  }
  return { transcript, finished: false };
}
