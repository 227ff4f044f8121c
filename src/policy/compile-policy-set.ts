import { createHash } from "node:crypto";
import type * as CedarTypes from "@cedar-policy/cedar-wasm/nodejs";
import type { Cedar } from "./cedar.ts";
import { PolicyInvalidError, type PolicyProblem } from "./policy-errors.ts";
import { referencedAttributes } from "./referenced-attributes.ts";
import { fileStem, type PolicySource, type PolicySources } from "./policy-sources.ts";

/** One policy of the set, as decisions and `cadre policy explain` name it. */
export interface PolicyInfo {
  /** Its `@id("...")` annotation, else `<file stem>.<n>` (the n-th policy of the file). */
  id: string;
  file: string;
  line: number;
  effect: "permit" | "forbid";
  /** `@message("...")`: what a person reads when it decides. */
  message: string | null;
  /** `@approval("...")` on a forbid: a person may approve the call instead of it being refused. */
  approval: string | null;
  text: string;
}

/** A validated policy set, parsed once into the Cedar engine under its version. */
export interface CompiledPolicySet {
  /** A hash of the schema and the files' names and texts: the same files give the same version. */
  version: string;
  policies: ReadonlyMap<string, PolicyInfo>;
  /** The attribute names any policy reads: the rest need not be sent to the engine ("all" when a policy reads a whole record). */
  attributes: ReadonlySet<string> | "all";
  sources: PolicySources;
}

const compiled = new Map<string, CompiledPolicySet>();

/**
 * Validates every file against the schema and parses the set into the engine, once per
 * version (a second runtime in the process with the same files reuses it). Any problem, with
 * its file, line and column, is a PolicyInvalidError; nothing is parsed into the engine then.
 */
export function compilePolicySet(sources: PolicySources, cedar: Cedar): CompiledPolicySet {
  const version = policyVersion(sources);
  const cached = compiled.get(version);
  if (cached) return cached;
  const problems: PolicyProblem[] = [];
  const schema = cedar.checkParseSchema(sources.schema.text);
  if (schema.type === "failure") throw new PolicyInvalidError({ problems: schema.errors.map((error) => located(sources.schema, error)) });

  const policies = new Map<string, PolicyInfo>();
  let attributes = new Set<string>() as Set<string> | "all";
  for (const file of sources.files) {
    const validation = cedar.validate({ schema: sources.schema.text, policies: { staticPolicies: file.text } });
    if (validation.type === "failure") {
      problems.push(...validation.errors.map((error) => located(file, error)));
      continue;
    }
    problems.push(...validation.validationErrors.map(({ error }) => located(file, error)));
    for (const policy of splitPolicies(cedar, file, problems)) {
      const earlier = policies.get(policy.info.id);
      if (earlier) {
        problems.push({ file: file.path, line: policy.info.line, column: 1, message: `policy id "${policy.info.id}" is already used at ${earlier.file}:${earlier.line}` });
        continue;
      }
      policies.set(policy.info.id, policy.info);
      const read = referencedAttributes(policy.json);
      attributes = read === "all" || attributes === "all" ? "all" : new Set([...attributes, ...read]);
    }
  }
  if (problems.length > 0) throw new PolicyInvalidError({ problems });

  const parsed = cedar.preparsePolicySet(engineSetId(version), { staticPolicies: Object.fromEntries([...policies.values()].map((policy) => [policy.id, policy.text])) });
  if (parsed.type === "failure") throw new PolicyInvalidError({ problems: parsed.errors.map((error) => ({ file: "(policy set)", line: 0, column: 0, message: error.message })) });
  const set: CompiledPolicySet = { version, policies, attributes, sources };
  compiled.set(version, set);
  return set;
}

/** The id the engine knows a version's parsed set by. */
export const engineSetId = (version: string): string => `cadre:${version}`;

export function policyVersion(sources: PolicySources): string {
  const hash = createHash("sha256").update(sources.schema.text).update("\0");
  for (const file of [...sources.files].sort((a, b) => fileStem(a.path).localeCompare(fileStem(b.path)))) hash.update(fileStem(file.path)).update("\0").update(file.text).update("\0");
  return hash.digest("hex").slice(0, 16);
}

type PolicyJson = Extract<CedarTypes.PolicyToJsonAnswer, { type: "success" }>["json"];

/** The file's policies one by one, each with its id, annotations and line. */
function splitPolicies(cedar: Cedar, file: PolicySource, problems: PolicyProblem[]): Array<{ info: PolicyInfo; json: PolicyJson }> {
  const parts = cedar.policySetTextToParts(file.text);
  if (parts.type === "failure") {
    problems.push(...parts.errors.map((error) => located(file, error)));
    return [];
  }
  if (parts.policy_templates.length > 0) problems.push({ file: file.path, line: 0, column: 0, message: "policy templates are not supported: write static policies" });
  let cursor = 0;
  return parts.policies.flatMap((text, index) => {
    const offset = file.text.indexOf(text, cursor);
    if (offset >= 0) cursor = offset + text.length;
    const line = offset >= 0 ? lineAndColumn(file.text, offset).line : 0;
    const answer = cedar.policyToJson(text);
    if (answer.type === "failure") {
      problems.push(...answer.errors.map((error) => ({ file: file.path, line, column: 1, message: error.message })));
      return [];
    }
    const annotations = answer.json.annotations ?? {};
    const info: PolicyInfo = {
      id: annotations.id ?? `${fileStem(file.path)}.${index + 1}`,
      file: file.path,
      line,
      effect: answer.json.effect,
      message: annotations.message ?? null,
      approval: annotations.approval ?? null,
      text,
    };
    if (info.approval !== null && info.effect !== "forbid") problems.push({ file: file.path, line, column: 1, message: `policy "${info.id}" is a permit: @approval goes on a forbid policy (the call it would forbid is held for a person instead)` });
    return [{ info, json: answer.json }];
  });
}

function located(file: PolicySource, error: CedarTypes.DetailedError): PolicyProblem {
  const at = error.sourceLocations?.[0];
  const position = at ? lineAndColumn(file.text, at.start) : { line: 0, column: 0 };
  const label = at?.label ? `: ${at.label}` : "";
  return { file: file.path, ...position, message: `${error.message}${label}`, ...(error.help ? { help: error.help } : {}) };
}

/** Cedar reports offsets; people want lines. (Offsets count UTF-8 bytes for non-ASCII text: close enough to point at the line.) */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
