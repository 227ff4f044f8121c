import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, agentEvalWorkflow, defineAgent, defineWorkflow, evaluate, openOperator, parseDataset, usd, type Agent, type EvalExampleRecord, type Workflow } from "../../src/index.ts";
import { exported } from "../operator/setup.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { callCostMicros, classifierAgent, classifierModels, examples, labelledDataset, userInput } from "./fixtures.ts";

describe.each(await dialects())("evaluate (%s)", (dialect) => {
  let runtime: Runtime | undefined;
  let location: TestStoreLocation | undefined;
  afterEach(async () => {
    await runtime?.close();
    await location?.cleanup();
    runtime = location = undefined;
  });

  async function open(options: { agents: Agent[]; workflows?: Workflow[] }): Promise<Runtime> {
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents: options.agents, workflows: options.workflows ?? [], models: classifierModels(), principal: "ci" });
    return runtime;
  }

  it("runs every example as a journaled run of the agent, and stores figures the test knows: accuracy, per-class, confusion, cost and tokens", async () => {
    const classifier = classifierAgent();
    const rt = await open({ agents: [classifier], workflows: [agentEvalWorkflow(classifier)] });
    const report = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label", minAccuracy: 0.6 });

    expect(report.accuracy).toBe(5 / 8);
    expect(report.passed).toBe(true);
    expect(report.figures!.confusion).toEqual({ labels: ["bird", "cat", "dog"], counts: [[1, 0, 0], [0, 2, 1], [0, 1, 2]], noAnswer: [1, 0, 0] });
    expect(report.figures!.classes.map(({ label, support, predicted, precision, recall }) => ({ label, support, predicted, precision, recall }))).toEqual([
      { label: "bird", support: 2, predicted: 1, precision: 1, recall: 1 / 2 },
      { label: "cat", support: 3, predicted: 3, precision: 2 / 3, recall: 2 / 3 },
      { label: "dog", support: 3, predicted: 3, precision: 2 / 3, recall: 2 / 3 },
    ]);
    // One row per example in dataset order, with what it cost: seven answers at 21 micro-USD, one model error.
    expect(report.examples.map((example) => [example.line, example.predicted, example.correct, example.spentMicros, example.inputTokens, example.outputTokens])).toEqual(
      examples.map((example, index) => (example.answer === null ? [index + 1, null, false, 0, 0, 0] : [index + 1, example.answer, example.answer === example.expected, callCostMicros, 100, 10])),
    );
    const failed = report.examples[7]!;
    expect(failed.error).toMatchObject({ code: "MODEL_ERROR" });
    expect(report.evaluation).toMatchObject({
      target: "classifier",
      targetKind: "agent",
      dataset: "animals.jsonl",
      scorer: "exact",
      field: "label",
      status: "completed",
      examples: 8,
      scored: 8,
      correct: 5,
      errors: 1,
      spentMicros: 7 * callCostMicros,
      inputTokens: 700,
      outputTokens: 70,
      minAccuracy: 0.6,
      principal: "ci",
      models: { classifier: ["openai:gpt-4o-mini"] },
    });

    // Each example is a real run of the agent's evaluation workflow, journaled with its model step.
    for (const example of report.examples) {
      const run = await rt.getRun(example.runId!);
      expect(run).toMatchObject({ workflow: "eval-classifier", status: example.error ? "failed" : "completed", principal: "ci", input: example.input, budget: usd(0.1) });
      expect(run!.goal).toContain(report.evaluation.id);
      expect((await rt.getSteps(example.runId!)).map((step) => step.type)).toEqual(["model", "agent"]);
    }

    // Stored: the operator reads back the same report, and lists it.
    const operator = openOperator({ store: rt.store });
    expect(await operator.evals.get(report.evaluation.id)).toEqual(report);
    expect((await operator.evals.list({ target: "classifier" })).map((row) => row.id)).toEqual([report.evaluation.id]);
    await expect(operator.evals.get("eval_nope")).rejects.toMatchObject({ code: "UNKNOWN_EVAL", details: { evalId: "eval_nope" } });
    // The evaluation workflow was funded by an audited deposit, for exactly the examples it runs.
    const deposits = (await exported(operator)).filter((record) => record.kind === "budget.funded");
    expect(deposits.map((record) => ({ workflow: record.workflow, principal: record.principal, amountMicros: record.data.amountMicros }))).toEqual([{ workflow: "eval-classifier", principal: "ci", amountMicros: 8 * usd(0.1) }]);
  });

  it("fails the gate below --min-accuracy, and a second evaluation of another model version is stored beside the first", async () => {
    const classifier = classifierAgent();
    const rt = await open({ agents: [classifier], workflows: [agentEvalWorkflow(classifier)] });
    const first = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label", minAccuracy: 0.9, concurrency: 1 });
    expect(first.passed).toBe(false);
    const second = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label" });
    expect(second.passed).toBeNull();
    const listed = await openOperator({ store: rt.store }).evals.list();
    expect(new Set(listed.map((row) => row.id))).toEqual(new Set([first.evaluation.id, second.evaluation.id]));
    expect(listed.every((row) => row.datasetSha256 === first.evaluation.datasetSha256 && row.correct === 5)).toBe(true);
  });

  it("compares two model versions of the same router: models, accuracy, per-class F1, the examples that changed", async () => {
    const first = classifierAgent();
    const rt = await open({ agents: [first], workflows: [agentEvalWorkflow(first)] });
    const before = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label" });
    await rt.close();
    // The next version runs on gpt-4.1, which (in this script) answers every example right.
    const upgraded = defineAgent({ ...classifierAgent(), model: "openai:gpt-4.1" } as Parameters<typeof defineAgent>[0]);
    const perfect = createScriptedModel({
      provider: "openai",
      modelId: "gpt-4.1",
      script: (call) => ({ json: { label: examples.find((entry) => entry.text === userInput(call).text)!.expected }, usage: { promptTokens: 100, completionTokens: 10 } }),
    });
    runtime = await Runtime.open({ store: location!.location, agents: [upgraded], workflows: [agentEvalWorkflow(upgraded)], models: { instances: { "openai:gpt-4.1": perfect } } });
    const after = await evaluate({ runtime, target: "classifier", dataset: labelledDataset(), field: "label" });
    const comparison = await openOperator({ store: runtime.store }).evals.compare(before.evaluation.id, after.evaluation.id);
    expect(comparison.sameDataset).toBe(true);
    expect([comparison.baseline.evaluation.models, comparison.candidate.evaluation.models]).toEqual([{ classifier: ["openai:gpt-4o-mini"] }, { classifier: ["openai:gpt-4.1"] }]);
    expect(comparison.accuracyDelta).toBe(3 / 8);
    expect(comparison.changed).toEqual([
      { line: 3, expected: "cat", baseline: { answer: "dog", correct: false }, candidate: { answer: "cat", correct: true } },
      { line: 5, expected: "dog", baseline: { answer: "cat", correct: false }, candidate: { answer: "dog", correct: true } },
      { line: 8, expected: "bird", baseline: { answer: "error MODEL_ERROR", correct: false }, candidate: { answer: "bird", correct: true } },
    ]);
    expect(comparison.classes.map((row) => [row.label, row.candidateF1])).toEqual([["bird", 1], ["cat", 1], ["dog", 1]]);
    // gpt-4.1: 100 × $2/M + 10 × $8/M = 280 µ$ an example; before, 7 × 21 over 8 examples, rounded up.
    expect(comparison.costPerExampleMicros).toEqual({ baseline: 19, candidate: 280 });
  });

  it("gives every example its own budget: too small a budget refuses each model call, and the evaluation records why", async () => {
    const classifier = classifierAgent();
    const rt = await open({ agents: [classifier], workflows: [agentEvalWorkflow(classifier)] });
    const report = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label", budgetMicros: 5 });
    expect(report.accuracy).toBe(0);
    expect(report.evaluation.errors).toBe(8);
    expect(new Set(report.examples.map((example) => example.error?.code))).toEqual(new Set(["BUDGET_EXCEEDED"]));
    expect(report.evaluation.spentMicros).toBe(0);
  });

  it("evaluates a workflow's output field, funded from the workflow's own budget", async () => {
    const classifier = classifierAgent();
    const classify = defineWorkflow({
      name: "classify",
      input: z.object({ text: z.string() }),
      output: z.object({ animal: z.object({ label: z.string() }) }),
      budget: { perRun: usd(0.01), allocation: usd(1) },
      run: async (input, ctx) => ({ animal: await ctx.call(classifier, input) }),
    });
    const rt = await open({ agents: [classifier], workflows: [classify] });
    const report = await evaluate({ runtime: rt, target: "classify", dataset: labelledDataset(), field: "animal.label" });
    expect(report.evaluation).toMatchObject({ targetKind: "workflow", correct: 5, spentMicros: 7 * callCostMicros });
    expect((await rt.getRun(report.examples[0]!.runId!))!).toMatchObject({ workflow: "classify", budget: usd(0.01) });
    // No deposit: a workflow's evaluation runs are paid like its other runs.
    expect((await exported(openOperator({ store: rt.store }))).filter((record) => record.kind === "budget.funded")).toEqual([]);
  });

  it("a judge agent scores each answer in a governed run of its own; a judge that answers nonsense is an error, not a pass", async () => {
    const classifier = classifierAgent();
    const judge = defineAgent({
      name: "judge",
      owner: "tests",
      purpose: "grades answers",
      input: z.object({ input: z.any(), expected: z.any(), output: z.any() }),
      output: z.any(),
      run: async ({ expected, output }) => (output === "bird" ? { verdict: "?" } : { correct: output === expected, reason: `said ${output}` }),
    });
    const rt = await open({ agents: [classifier, judge], workflows: [agentEvalWorkflow(classifier), agentEvalWorkflow(judge)] });
    const report = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label", scorer: { kind: "judge", agent: "judge" } });
    expect(report.figures).toBeNull();
    expect(report.evaluation.scorer).toBe("judge:judge");
    // cat ×2 and dog ×2 right; the bird answer got a nonsense verdict; the last example has no answer to judge.
    expect(report.examples.map((example) => example.correct)).toEqual([true, true, false, true, false, true, false, false]);
    expect(report.examples[0]).toMatchObject({ reason: "said cat", error: null });
    expect(report.examples[6]!.error).toMatchObject({ code: "INVALID_OUTPUT" });
    expect(report.examples[7]!.judgeRunId).toBeNull();
    const judgeRun = await rt.getRun(report.examples[0]!.judgeRunId!);
    expect(judgeRun).toMatchObject({ workflow: "eval-judge", status: "completed", input: { input: { text: examples[0]!.text }, expected: "cat", output: "cat" } });
  });

  it("keeps at most `concurrency` examples running at once", async () => {
    let inFlight = 0;
    let most = 0;
    const waiting: Array<() => void> = [];
    // Each call waits for a partner: with a limit of 2, pairs release each other; with 1 nothing would finish.
    const pairing = defineAgent({
      name: "pairing",
      owner: "tests",
      purpose: "waits for a partner",
      input: z.any(),
      output: z.string(),
      run: async (input: { n: number }) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const release of waiting.splice(0)) release();
        });
        inFlight -= 1;
        return input.n % 2 === 0 ? "even" : "odd";
      },
    });
    const rt = await open({ agents: [pairing], workflows: [agentEvalWorkflow(pairing)] });
    const text = [1, 2, 3, 4, 5, 6].map((n) => JSON.stringify({ input: { n }, expected: "even" })).join("\n");
    const seen: EvalExampleRecord[] = [];
    const report = await evaluate({ runtime: rt, target: "pairing", dataset: parseDataset({ name: "n.jsonl", text }), concurrency: 2, onExample: (example) => seen.push(example) });
    expect(most).toBe(2);
    expect(seen).toHaveLength(6);
    expect(report.accuracy).toBe(3 / 6);
  });

  it("stops starting examples when aborted, keeps the ones that ran, and stores the evaluation as interrupted", async () => {
    const classifier = classifierAgent();
    const rt = await open({ agents: [classifier], workflows: [agentEvalWorkflow(classifier)] });
    const stop = new AbortController();
    const report = await evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), field: "label", concurrency: 1, minAccuracy: 0.5, signal: stop.signal, onExample: () => stop.abort() });
    expect(report.evaluation).toMatchObject({ status: "interrupted", examples: 8, scored: 1, correct: 1 });
    expect(report.passed).toBeNull();
    expect(report.examples.map((example) => example.line)).toEqual([1]);
    expect(await rt.listRuns()).toHaveLength(1);
  });

  it("refuses what it cannot evaluate before running anything", async () => {
    const classifier = classifierAgent();
    const rt = await open({ agents: [classifier], workflows: [] });
    await expect(evaluate({ runtime: rt, target: "nobody", dataset: labelledDataset() })).rejects.toMatchObject({ code: "UNKNOWN_WORKFLOW", details: { target: "nobody", agents: ["classifier"] } });
    await expect(evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset() })).rejects.toMatchObject({ code: "CONFIGURATION", details: { workflow: "eval-classifier" } });
    await expect(evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), concurrency: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(evaluate({ runtime: rt, target: "classifier", dataset: labelledDataset(), minAccuracy: 90 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(await openOperator({ store: rt.store }).evals.list()).toEqual([]);
    expect(await rt.listRuns()).toEqual([]);
  });
});
