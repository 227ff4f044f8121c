import { CadreError, type CadreErrorOptions } from "../errors.ts";

/** One thing wrong in a policy file or the schema, where it is. */
export interface PolicyProblem {
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  column: number;
  message: string;
  /** Cedar's suggestion, when it has one ("did you mean `dataClass`?"). */
  help?: string;
}

export const formatProblem = (problem: PolicyProblem): string =>
  `${problem.file}${problem.line > 0 ? `:${problem.line}:${problem.column}` : ""}: ${problem.message}${problem.help ? ` (${problem.help})` : ""}`;

/** The policy files or the schema do not parse or do not validate: nothing starts and nothing is stored. */
export class PolicyInvalidError extends CadreError {
  constructor(details: { problems: PolicyProblem[] }, options?: CadreErrorOptions) {
    const shown = details.problems.slice(0, 10).map((problem) => `  ${formatProblem(problem)}`);
    const more = details.problems.length > 10 ? [`  ... and ${details.problems.length - 10} more`] : [];
    super(
      "POLICY_INVALID",
      `The policy set is invalid (${details.problems.length} problem${details.problems.length === 1 ? "" : "s"}):\n${[...shown, ...more].join("\n")}\nFix the files and check them with \`cadre policy validate\`.`,
      { ...options, details: { ...details, fix: "Fix the files and check them with `cadre policy validate`." } },
    );
  }
}

/** What a decision names: the active policy set's version and the policies that decided. */
export type PolicyVerdict = {
  version: string;
  policies: string[];
};

/** A `forbid` policy refused the effect (or no policy permitted it). Nothing was held. */
export class PolicyDeniedError extends CadreError {
  constructor(details: PolicyVerdict & { action: string; agent: string | null; resource: string; reason: string; rejectedBy?: string; runId?: string | null; stepKey?: string | null }, options?: CadreErrorOptions) {
    const who = details.agent ? `agent "${details.agent}"` : "the workflow";
    const named = details.policies.length > 0 ? `policy ${details.policies.map((id) => `"${id}"`).join(", ")}` : "the policy set (no policy permits it)";
    super("POLICY_DENIED", `The ${details.action} call of ${who} on "${details.resource}" is denied by ${named}: ${details.reason} (policy version ${details.version}).`, { ...options, details });
  }
}

/**
 * A policy annotated `@approval` asks a person to approve the effect first. The effect
 * function turns it into a durable approval the run parks on; it reaches callers only where
 * a run cannot park.
 */
export class PolicyApprovalRequiredError extends CadreError {
  constructor(details: PolicyVerdict & { action: string; agent: string | null; resource: string; reason: string; runId?: string | null; stepKey?: string | null }, options?: CadreErrorOptions) {
    super(
      "POLICY_APPROVAL_REQUIRED",
      `The ${details.action} call of ${details.agent ? `agent "${details.agent}"` : "the workflow"} on "${details.resource}" needs a person's approval by policy ${details.policies.map((id) => `"${id}"`).join(", ")}: ${details.reason}.`,
      { ...options, details },
    );
  }
}
