import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { z } from "zod";
import { defineAgent, parseDataset, type Agent, type LabelledDataset } from "../../src/index.ts";
import { createScriptedModel, type ScriptedModel } from "../../src/testing/index.ts";

/** The JSON the agent was given: the last user message of the call. */
export function userInput(call: LanguageModelV4CallOptions): Record<string, unknown> {
  const user = call.prompt.filter((message) => message.role === "user").at(-1);
  const text = user && Array.isArray(user.content) ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("") : "{}";
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Eight labelled examples and what the classifier answers to each: five right, two wrong, one
 * with no answer at all (the model errors). Figures the tests know by hand:
 * cat 2/3 precision 2/3 recall; dog the same; bird precision 1, recall 1/2; accuracy 5/8.
 */
export const examples: Array<{ text: string; expected: string; answer: string | null }> = [
  { text: "meows on the sofa", expected: "cat", answer: "cat" },
  { text: "purrs in the sun", expected: "cat", answer: "cat" },
  { text: "chases the mail carrier", expected: "cat", answer: "dog" },
  { text: "fetches the stick", expected: "dog", answer: "dog" },
  { text: "sleeps all day", expected: "dog", answer: "cat" },
  { text: "wags its tail", expected: "dog", answer: "dog" },
  { text: "sings at dawn", expected: "bird", answer: "bird" },
  { text: "nests in the gutter", expected: "bird", answer: null },
];

export const datasetText = examples.map((example) => JSON.stringify({ input: { text: example.text }, expected: example.expected })).join("\n");

export function labelledDataset(): LabelledDataset {
  return parseDataset({ name: "animals.jsonl", text: datasetText });
}

/** Every classifier call reports 100 input and 10 output tokens: 21 micro-USD at gpt-4o-mini's list price (100 × $0.15/M + 10 × $0.60/M). */
export const callCostMicros = 21;

/** The scripted model behind the classifier: answers from `examples`, a 400 for the example with no answer. */
export function classifierModel(): ScriptedModel {
  return createScriptedModel({
    provider: "openai",
    modelId: "gpt-4o-mini",
    script: (call) => {
      const example = examples.find((entry) => entry.text === userInput(call).text);
      if (!example || example.answer === null) return { error: { status: 400, message: "the model refused this input" } };
      return { json: { label: example.answer }, usage: { promptTokens: 100, completionTokens: 10 } };
    },
  });
}

export function classifierAgent(): Agent {
  return defineAgent({
    name: "classifier",
    owner: "tests",
    purpose: "tells animals apart",
    model: "openai:gpt-4o-mini",
    instructions: "Classify the animal described as cat, dog or bird.",
    input: z.object({ text: z.string() }),
    output: z.object({ label: z.string() }),
  });
}

/** The scripted model's instance config for a runtime. */
export function classifierModels() {
  return { instances: { "openai:gpt-4o-mini": classifierModel() } };
}
