import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime, agentEvalWorkflow, defineAgent, evaluate, openOperator, parseDataset } from "../src/index.ts";
import { createScriptedModel } from "../src/testing/index.ts";
import type { Figure } from "./engine.ts";
import { sample, spread } from "./stats.ts";

const examples = 100;

const classifier = defineAgent({
  name: "classifier",
  owner: "bench",
  purpose: "labels numbers even or odd",
  model: "openai:gpt-4o-mini",
  instructions: "Label the number even or odd.",
  input: z.object({ n: z.number() }),
  output: z.object({ label: z.string() }),
});

const model = createScriptedModel({
  provider: "openai",
  modelId: "gpt-4o-mini",
  script: (call) => {
    const user = call.prompt.filter((message) => message.role === "user").at(-1);
    const text = user && Array.isArray(user.content) ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("") : "{}";
    return { json: { label: (JSON.parse(text) as { n: number }).n % 2 === 0 ? "even" : "odd" }, usage: { promptTokens: 120, completionTokens: 8 } };
  },
});

const dataset = parseDataset({ name: "numbers.jsonl", text: Array.from({ length: examples }, (_, n) => JSON.stringify({ input: { n }, expected: n % 3 === 0 ? "odd" : n % 2 === 0 ? "even" : "odd" })).join("\n") });

/** Evaluation throughput (every example a journaled, governed model-agent run) and the cost report over the runs it left. */
export async function benchEvaluation(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-eval-"));
  const runtime = await Runtime.open({ store: join(directory, "eval.db"), agents: [classifier], workflows: [agentEvalWorkflow(classifier)], models: { instances: { "openai:gpt-4o-mini": model } } });
  try {
    const perSecond = await sample(3, async () => {
      const started = performance.now();
      await evaluate({ runtime, target: "classifier", dataset, field: "label", concurrency: 4 });
      return examples / ((performance.now() - started) / 1000);
    });
    const operator = openOperator({ store: runtime.store });
    const runs = (await operator.costs.report()).perRun.runs;
    const reportMs = await sample(5, async () => {
      const started = performance.now();
      await operator.costs.report({ workflow: "eval-classifier", runsPerDay: 1000, whatIf: { classifier: "openai:gpt-4.1-nano" } });
      return performance.now() - started;
    });
    return [
      { name: "cadre eval, SQLite", value: `${spread(perSecond, "examples/s", 0)} (${examples} examples, concurrency 4, one model call each)` },
      { name: "cadre cost report, SQLite", value: `${spread(reportMs, "ms")} over ${runs} runs (projection and what-if)` },
    ];
  } finally {
    await runtime.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
