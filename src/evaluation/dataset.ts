import { createHash } from "node:crypto";
import { EvalDatasetError } from "./eval-errors.ts";

/** One labelled example: what the target is given and what it should answer. */
export interface LabelledExample {
  /** The 1-based line of the dataset file it was read from. */
  line: number;
  input: unknown;
  expected: unknown;
}

/** A parsed dataset: its examples in file order and the sha256 of the file, so two evaluations can tell whether they saw the same data. */
export interface LabelledDataset {
  name: string;
  sha256: string;
  examples: LabelledExample[];
}

/**
 * Reads JSON lines, one `{ "input": ..., "expected": ... }` object a line (blank lines are
 * skipped). The first malformed line stops the evaluation before any run starts, with an
 * EvalDatasetError naming its line number: a dataset is checked whole, not half-run.
 */
export function parseDataset(options: { name: string; text: string }): LabelledDataset {
  const examples: LabelledExample[] = [];
  const lines = options.text.split(/\r?\n/);
  for (const [index, text] of lines.entries()) {
    if (text.trim() === "") continue;
    examples.push(parseLine(options.name, index + 1, text));
  }
  if (examples.length === 0) throw new EvalDatasetError({ dataset: options.name, line: null, problem: "the dataset has no examples" });
  return { name: options.name, sha256: createHash("sha256").update(options.text).digest("hex"), examples };
}

function parseLine(dataset: string, line: number, text: string): LabelledExample {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EvalDatasetError({ dataset, line, problem: `not valid JSON (${(error as Error).message})` }, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new EvalDatasetError({ dataset, line, problem: `expected a JSON object, got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}` });
  const record = value as Record<string, unknown>;
  const missing = ["input", "expected"].filter((key) => !Object.hasOwn(record, key));
  if (missing.length > 0) throw new EvalDatasetError({ dataset, line, problem: `the object has no ${missing.map((key) => `"${key}"`).join(" and ")} key` });
  const unknown = Object.keys(record).filter((key) => key !== "input" && key !== "expected");
  if (unknown.length > 0) throw new EvalDatasetError({ dataset, line, problem: `unknown key ${unknown.map((key) => `"${key}"`).join(", ")} (a line holds only "input" and "expected")` });
  return { line, input: record.input, expected: record.expected };
}
