import { describe, expect, it } from "vitest";
import { CadreError, EvalDatasetError, parseDataset, parseScorer } from "../../src/index.ts";
import { scoreAnswer, selectField } from "../../src/evaluation/scorers.ts";

function datasetError(text: string): EvalDatasetError {
  try {
    parseDataset({ name: "labelled.jsonl", text });
  } catch (error) {
    expect(error).toBeInstanceOf(EvalDatasetError);
    return error as EvalDatasetError;
  }
  throw new Error("the dataset was accepted");
}

describe("labelled datasets", () => {
  it("reads one example a line, skipping blank lines, and keeps each example's line number", () => {
    const dataset = parseDataset({ name: "d.jsonl", text: '{"input": {"text": "a"}, "expected": "x"}\n\n{"input": "b", "expected": {"route": "y"}}\n' });
    expect(dataset.examples).toEqual([
      { line: 1, input: { text: "a" }, expected: "x" },
      { line: 3, input: "b", expected: { route: "y" } },
    ]);
    expect(dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a malformed line with EVAL_DATASET_INVALID naming its line number", () => {
    const good = '{"input": 1, "expected": "a"}';
    const notJson = datasetError(`${good}\n${good}\n{"input": 3, "expected": }`);
    expect(notJson).toMatchObject({ code: "EVAL_DATASET_INVALID", fault: "input", details: { dataset: "labelled.jsonl", line: 3 } });
    expect(notJson.message).toContain("labelled.jsonl line 3: not valid JSON");
    expect(datasetError(`${good}\n{"input": 2}`)).toMatchObject({ details: { line: 2, problem: 'the object has no "expected" key' } });
    expect(datasetError(`[1, 2]`)).toMatchObject({ details: { line: 1, problem: "expected a JSON object, got an array" } });
    expect(datasetError(`{"input": 1, "expect": "a", "expected": "a"}`).details.problem).toContain('unknown key "expect"');
    expect(datasetError("\n  \n")).toMatchObject({ details: { line: null, problem: "the dataset has no examples" } });
  });
});

describe("scorers", () => {
  it("parses the four kinds and refuses anything else with a typed error", () => {
    expect(parseScorer("exact")).toEqual({ kind: "exact" });
    expect(parseScorer("json-field")).toEqual({ kind: "json-field" });
    expect(parseScorer("regex:^ok")).toEqual({ kind: "regex", pattern: "^ok" });
    expect(parseScorer("judge:grader")).toEqual({ kind: "judge", agent: "grader" });
    for (const bad of ["exactly", "regex:(", "regex:", "judge:"]) {
      expect(() => parseScorer(bad), bad).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    expect(CadreError.is(new EvalDatasetError({ dataset: "d", line: 1, problem: "p" }))).toBe(true);
  });

  it("selects a dotted field, or the whole output without one", () => {
    const output = { classification: { route: "billing" }, score: 0 };
    expect(selectField(output, "classification.route")).toBe("billing");
    expect(selectField(output, "score")).toBe(0);
    expect(selectField(output, "classification.missing")).toBeUndefined();
    expect(selectField(output, undefined)).toBe(output);
  });

  it("exact compares JSON values whatever their key order; a missing answer matches nothing", () => {
    expect(scoreAnswer({ kind: "exact" }, { expected: "billing", answer: "billing" })).toEqual({ correct: true, predicted: "billing" });
    expect(scoreAnswer({ kind: "exact" }, { expected: { a: 1, b: [2] }, answer: { b: [2], a: 1 } })).toMatchObject({ correct: true, predicted: '{"a":1,"b":[2]}' });
    // The string "1" is not the number 1, and their labels differ too.
    expect(scoreAnswer({ kind: "exact" }, { expected: 1, answer: "1" })).toEqual({ correct: false, predicted: '"1"' });
    expect(scoreAnswer({ kind: "exact" }, { expected: 1, answer: 1 })).toEqual({ correct: true, predicted: "1" });
    expect(scoreAnswer({ kind: "exact" }, { expected: "x", answer: undefined })).toEqual({ correct: false, predicted: "(missing)" });
  });

  it("json-field compares only the fields expected names", () => {
    expect(scoreAnswer({ kind: "json-field" }, { expected: { route: "tech" }, answer: { route: "tech", confidence: 0.4 } })).toEqual({ correct: true, predicted: '{"route":"tech"}' });
    expect(scoreAnswer({ kind: "json-field" }, { expected: { route: "tech", urgent: true }, answer: { route: "tech" } })).toEqual({ correct: false, predicted: '{"route":"tech","urgent":null}' });
    expect(scoreAnswer({ kind: "json-field" }, { expected: "tech", answer: { route: "tech" } })).toMatchObject({ correct: false, reason: "the json-field scorer needs an object as expected" });
  });

  it("regex matches a string answer, or the JSON of any other", () => {
    expect(scoreAnswer({ kind: "regex", pattern: "^Dear " }, { expected: null, answer: "Dear Ana, thanks" })).toMatchObject({ correct: true, predicted: null });
    expect(scoreAnswer({ kind: "regex", pattern: '"route":"tech"' }, { expected: null, answer: { route: "tech" } })).toMatchObject({ correct: true });
    expect(scoreAnswer({ kind: "regex", pattern: "^Dear " }, { expected: null, answer: "Hi" })).toMatchObject({ correct: false, reason: "did not match /^Dear /" });
  });
});
