import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";

const fixture = join(repositoryRoot, "test/fixtures/eval");
const animals = JSON.parse(readFileSync(join(fixture, "animals.json"), "utf8")) as Array<{ text: string; expected: string }>;

describe("cadre eval and cadre cost through the built CLI", () => {
  let directory: string;
  let store: string;
  let dataset: string;
  const run = (args: string[]) => cadre(["--store", store, "--config", join(fixture, "cadre.config.ts"), ...args]);

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "cadre-eval-"));
    store = join(directory, "cadre.db");
    dataset = join(directory, "animals.jsonl");
    writeFileSync(dataset, `${animals.map((animal) => JSON.stringify({ input: { text: animal.text }, expected: animal.expected })).join("\n")}\n`);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("refuses a malformed dataset line with its own error code and line number, before running anything (exit 2)", () => {
    const broken = join(directory, "broken.jsonl");
    writeFileSync(broken, '{"input": {"text": "a"}, "expected": "cat"}\n\n{"input": {"text": "b"}, "expected": }\n');
    const result = run(["eval", "classifier", "--dataset", broken]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error [EVAL_DATASET_INVALID]: ${broken} line 3: not valid JSON`);
    expect(existsSync(store)).toBe(false);
    const json = run(["--json", "eval", "classifier", "--dataset", broken]);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: "EVAL_DATASET_INVALID", details: { line: 3, dataset: broken } });
  });

  it("refuses bad options with exit 2", () => {
    expect(run(["eval", "classifier", "--dataset", dataset, "--min-accuracy", "90"])).toMatchObject({ status: 2, stderr: expect.stringContaining("--min-accuracy is a fraction from 0 to 1") });
    expect(run(["eval", "classifier", "--dataset", dataset, "--scorer", "regex:("])).toMatchObject({ status: 2 });
    expect(run(["eval", "classifier"])).toMatchObject({ status: 2, stderr: expect.stringContaining("--dataset labelled.jsonl") });
    expect(run(["eval", "classifier", "--dataset", join(directory, "missing.jsonl")])).toMatchObject({ status: 2, stderr: expect.stringContaining("Cannot read the dataset") });
  });

  let failedId: string;
  it("exits 1 below --min-accuracy, printing accuracy, per-class figures and the confusion matrix", () => {
    const result = run(["eval", "classifier", "--dataset", dataset, "--field", "label", "--min-accuracy", "0.9"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("accuracy 62.5% (5 of 8 correct, 1 without an answer)");
    expect(result.stdout).toContain("models classifier → openai:gpt-4o-mini");
    expect(result.stdout).toMatch(/bird\s+2\s+1\s+1\.000\s+0\.500\s+0\.667/);
    expect(result.stdout).toMatch(/cat\s+3\s+3\s+0\.667\s+0\.667\s+0\.667/);
    expect(result.stdout).toMatch(/EXPECTED\s+bird\s+cat\s+dog\s+\(no answer\)/);
    expect(result.stdout).toMatch(/\ncat\s+0\s+2\s+1\s+0\n/);
    expect(result.stdout).toContain("cost $0.000147 ($0.000019 per example); tokens 700 in / 70 out");
    expect(result.stdout).toContain("failed: accuracy 62.5% is below --min-accuracy 90.0%");
    expect(result.stderr).toContain("line 3  wrong  dog");
    expect(result.stdout).toMatch(/\n8\s+bird\s+\(no answer\)\s+error\s+0 \/ 0\s+\$0\.00\s+run_\w+\s+\[MODEL_ERROR\] /);
    failedId = /eval (eval_\w+)/.exec(result.stdout)![1]!;
  });

  let passedId: string;
  it("exits 0 at or above --min-accuracy; --json carries the whole report", () => {
    const result = run(["--json", "eval", "classifier", "--dataset", dataset, "--field", "label", "--min-accuracy", "0.6", "--concurrency", "2"]);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ accuracy: 0.625, passed: true, evaluation: { target: "classifier", correct: 5, errors: 1, spentMicros: 147, models: { classifier: ["openai:gpt-4o-mini"] } } });
    expect(report.figures.confusion.counts).toEqual([[1, 0, 0], [0, 2, 1], [0, 1, 2]]);
    passedId = report.evaluation.id;
  });

  it("evaluates a workflow too, and lists and shows stored evaluations", () => {
    expect(run(["eval", "classify", "--dataset", dataset, "--field", "label", "--min-accuracy", "0.5", "--quiet"])).toMatchObject({ status: 0, stderr: "" });
    const list = run(["eval", "list"]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(failedId);
    expect(list.stdout).toContain(passedId);
    expect(list.stdout).toMatch(/classify\s.*62\.5%/);
    expect(JSON.parse(run(["--json", "eval", "list", "--target", "classifier"]).stdout).map((row: { id: string }) => row.id).sort()).toEqual([failedId, passedId].sort());
    const shown = run(["eval", "show", failedId]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain("accuracy 62.5% (5 of 8 correct, 1 without an answer)");
    expect(shown.stdout).toContain("failed: accuracy 62.5% is below --min-accuracy 90.0%");
    const compared = run(["eval", "compare", failedId, passedId]);
    expect(compared.status).toBe(0);
    expect(compared.stdout).toMatch(/accuracy\s+62\.5%\s+62\.5% \(\+0\.0 points\)/);
    expect(compared.stdout).toContain("no example changed its verdict");
    expect(run(["eval", "show", "eval_missing"])).toMatchObject({ status: 2, stderr: expect.stringContaining("UNKNOWN_EVAL") });
  });

  it("cadre cost projects the journaled runs' tokens and cost, and reprices them under another model", () => {
    // Two evaluations of the agent: 16 runs, 14 answered at 21 µ$ (110 tokens) each.
    const json = JSON.parse(run(["--json", "cost", "--workflow", "eval-classifier", "--volume", "1000/day", "--what-if", "classifier=openai:gpt-4.1"]).stdout);
    expect(json.perRun).toMatchObject({ runs: 16, tokens: { p50: 110, max: 110, total: 1540 }, costMicros: { p50: 21, max: 21, total: 294 } });
    expect(json.projection).toEqual({ runsPerDay: 1000, tokensPerDay: 96_250, costPerDayMicros: 18_375, costPer30DaysMicros: 551_250 });
    // gpt-4.1: 100 × $2/M + 10 × $8/M = 280 µ$ a call.
    expect(json.whatIf).toMatchObject({ actualMicros: 294, whatIfMicros: 14 * 280, savedMicros: 294 - 14 * 280 });
    const text = run(["cost", "--workflow", "eval-classifier", "--volume", "50/hour", "--baseline", "classify"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("at 1,200 runs a day: 115,500 tokens and $0.02205 a day");
    expect(text.stdout).toContain("against the baseline classify (8 runs): tokens per run ×1.00, model cost per run ×1.00");
    expect(text.stdout).toMatch(/classifier\s+openai:gpt-4o-mini\s+14\s+14\s+1,400 \/ 140/);
  });

  it("cadre cost refuses what it cannot read with exit 2", () => {
    expect(run(["cost", "--volume", "lots"])).toMatchObject({ status: 2, stderr: expect.stringContaining("--volume is a number of runs") });
    expect(run(["cost", "--since", "last week"])).toMatchObject({ status: 2, stderr: expect.stringContaining("--since is a span") });
    expect(cadre(["--store", store, "--config", join(directory, "missing.config.ts"), "cost"])).toMatchObject({ status: 2, stderr: expect.stringContaining("[CONFIGURATION]") });
    expect(run(["cost", "--what-if", "classifier"])).toMatchObject({ status: 2, stderr: expect.stringContaining("agent=provider:model-id") });
    expect(run(["cost", "--workflow", "eval-classifier", "--what-if", "classifier=openai:unpriced"])).toMatchObject({ status: 2, stderr: expect.stringContaining("No price is known") });
  });

  it("Ctrl-C stops starting examples, keeps the ones that ran, and stores the evaluation as interrupted (exit 130)", async () => {
    const child = spawn(process.execPath, ["dist/cli/main.js", "--store", store, "--config", join(fixture, "cadre.config.ts"), "eval", "slow-labeller", "--dataset", dataset, "--concurrency", "1"], {
      cwd: repositoryRoot,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    while (!/line 1 /.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(status).toBe(130);
    expect(stderr).toContain("interrupted: finishing the examples in flight");
    expect(stdout).toMatch(/agent slow-labeller .* interrupted/);
    const [stored] = JSON.parse(run(["--json", "eval", "list", "--target", "slow-labeller"]).stdout);
    expect(stored.status).toBe("interrupted");
    expect(stored.scored).toBeGreaterThanOrEqual(1);
    expect(stored.scored).toBeLessThan(animals.length);
  });
});
