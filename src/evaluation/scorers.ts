import { InputValidationError } from "../errors.ts";
import { canonicalJson } from "../governance/canonical-json.ts";

/**
 * How an answer is scored against its label:
 * - `exact`: the answer (or its `--field`) equals `expected` (JSON equality, key order ignored);
 * - `json-field`: `expected` is an object; each of its fields equals the answer's field of the same name (other fields are ignored);
 * - `regex`: the answer (a string, else its JSON) matches the pattern; `expected` is kept for the record only;
 * - `judge`: a judge agent is given `{ input, expected, output }` and answers `{ correct: boolean, reason?: string }`, as its own governed, budgeted run.
 */
export type ScorerSpec = { kind: "exact" } | { kind: "json-field" } | { kind: "regex"; pattern: string } | { kind: "judge"; agent: string };

/** How one answer scored: `predicted` is its label for the confusion matrix (null for scorers that do not classify). */
export interface Verdict {
  correct: boolean;
  predicted: string | null;
  reason?: string;
}

/** Reads `exact`, `json-field`, `regex:<pattern>` or `judge:<agent>`. */
export function parseScorer(text: string): ScorerSpec {
  if (text === "exact" || text === "json-field") return { kind: text };
  if (text.startsWith("regex:")) {
    const pattern = text.slice("regex:".length);
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new InputValidationError({ message: `The scorer's regular expression ${JSON.stringify(pattern)} does not compile: ${(error as Error).message}.`, scorer: text });
    }
    if (pattern === "") throw new InputValidationError({ message: 'A regex scorer needs a pattern: --scorer "regex:^(billing|tech)$".', scorer: text });
    return { kind: "regex", pattern };
  }
  if (text.startsWith("judge:") && text.length > "judge:".length) return { kind: "judge", agent: text.slice("judge:".length) };
  throw new InputValidationError({ message: `A scorer is exact, json-field, regex:<pattern> or judge:<agent>; got "${text}".`, scorer: text });
}

/** The scorer as it is stored and printed. */
export function formatScorer(spec: ScorerSpec): string {
  return spec.kind === "regex" ? `regex:${spec.pattern}` : spec.kind === "judge" ? `judge:${spec.agent}` : spec.kind;
}

/** Whether the scorer yields class labels, so per-class figures and a confusion matrix mean something. */
export function classifies(spec: ScorerSpec): boolean {
  return spec.kind === "exact" || spec.kind === "json-field";
}

/**
 * The value `--field` names in an answer: a dotted path (`route`, `classification.route`);
 * the whole answer without one. A missing field is undefined, which matches no label.
 */
export function selectField(output: unknown, field: string | undefined): unknown {
  if (field === undefined || field === "") return output;
  let value: unknown = output;
  for (const key of field.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * A value as a class label: a string as it is, anything else as canonical JSON. A string that
 * reads as JSON itself ("1", "true") is quoted, so the label of the string "1" is never the
 * label of the number 1: equal labels mean equal values.
 */
export function labelOf(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value !== "string") return canonicalJson(value);
  return readsAsJson(value) ? JSON.stringify(value) : value;
}

function readsAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Scores one answer with the scorers that need no model: exact, json-field, regex. */
export function scoreAnswer(spec: Exclude<ScorerSpec, { kind: "judge" }>, options: { expected: unknown; answer: unknown }): Verdict {
  const { expected, answer } = options;
  if (spec.kind === "exact") {
    const predicted = labelOf(answer);
    return { correct: answer !== undefined && predicted === labelOf(expected), predicted };
  }
  if (spec.kind === "json-field") {
    if (typeof expected !== "object" || expected === null || Array.isArray(expected)) {
      return { correct: false, predicted: null, reason: "the json-field scorer needs an object as expected" };
    }
    const fields = typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {};
    const projected = Object.fromEntries(Object.keys(expected).map((key) => [key, Object.hasOwn(fields, key) ? fields[key] : null]));
    const predicted = labelOf(projected);
    return { correct: predicted === labelOf(expected), predicted };
  }
  const text = typeof answer === "string" ? answer : (JSON.stringify(answer) ?? "");
  const correct = new RegExp(spec.pattern).test(text);
  return { correct, predicted: null, reason: correct ? undefined : `did not match /${spec.pattern}/` };
}
