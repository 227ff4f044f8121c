import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { ObservedStep } from "../engine/run-observer.ts";

/** A record's data as span-event attributes: primitives as they are, anything else as JSON. */
export function eventAttributes(data: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) continue;
    attributes[key] = typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? (value as AttributeValue) : JSON.stringify(value);
  }
  return attributes;
}

/** `model:openai:gpt-4o-mini` → provider `openai`, model `gpt-4o-mini`. */
export function modelOf(subject: string | undefined): { provider: string; model: string } | undefined {
  if (!subject?.startsWith("model:")) return undefined;
  const id = subject.slice("model:".length);
  const colon = id.indexOf(":");
  return colon < 0 ? { provider: "unknown", model: id } : { provider: id.slice(0, colon), model: id.slice(colon + 1) };
}

/** The GenAI semantic conventions' operation for a step, and the span's name. */
export function operationOf(step: ObservedStep): { operation: string | undefined; spanName: string } {
  if (step.type === "agent") return { operation: "invoke_agent", spanName: `invoke_agent ${step.name}` };
  if (step.type === "model") {
    const model = modelOf(step.subject);
    return { operation: "chat", spanName: `chat ${model?.model ?? step.name}` };
  }
  if (step.type === "tool") return { operation: "execute_tool", spanName: `execute_tool ${step.name}` };
  return { operation: undefined, spanName: `${step.type} ${step.name}` };
}

/** The attributes a step's span starts with. */
export function stepAttributes(step: ObservedStep, run: { runId: string; workflow: string }): Attributes {
  const { operation } = operationOf(step);
  const model = modelOf(step.subject);
  return {
    "cadre.run.id": run.runId,
    "cadre.step.key": step.key,
    "cadre.step.name": step.name,
    "cadre.step.type": step.type,
    "cadre.step.attempt": step.attempt,
    "cadre.idempotency_key": step.idempotencyKey,
    "gen_ai.workflow.name": run.workflow,
    ...(operation ? { "gen_ai.operation.name": operation } : {}),
    ...(step.agent ? { "gen_ai.agent.name": step.agent } : {}),
    ...(step.subject ? { "cadre.subject": step.subject } : {}),
    ...(model ? { "gen_ai.request.model": model.model, "gen_ai.provider.name": model.provider } : {}),
    ...(step.type === "tool" ? { "gen_ai.tool.name": step.name } : {}),
  };
}
