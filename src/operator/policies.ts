import { readFile } from "node:fs/promises";
import { InputValidationError } from "../errors.ts";
import { readAuditRows, toAuditRecord, type AuditRecord } from "../governance/audit-log.ts";
import { PolicyEngine } from "../policy/policy-engine.ts";
import { PolicyInvalidError, type PolicyProblem } from "../policy/policy-errors.ts";
import type { PolicyOptions } from "../policy/policy-sources.ts";
import { activePolicyVersion, getPolicySet, listPolicySets, type StoredPolicySet } from "../policy/policy-store.ts";
import type { OperatorContext } from "./operator-context.ts";
import { caseRequest, parsePolicyCases, type PolicyCaseAgent, type PolicyCaseResult } from "./policy-cases.ts";

/** A policy as `validate` and `explain` show it. */
export interface PolicySummary {
  id: string;
  effect: "permit" | "forbid";
  message: string | null;
  approval: string | null;
  file: string;
  line: number;
}

export type PolicyValidation = { ok: true; version: string; schema: string; policies: PolicySummary[] } | { ok: false; problems: PolicyProblem[] };

export interface PolicyTestReport {
  version: string;
  passed: number;
  failed: number;
  results: PolicyCaseResult[];
}

/** One decision a past call got: from its audit record, with the policies that decided as they were then. */
export interface ExplainedDecision {
  seq: number;
  at: number;
  kind: string;
  attempt: number | null;
  /** allow, deny, approval (held for a person), or refused before any policy (no grant, no budget). */
  outcome: "allow" | "deny" | "approval" | "refused";
  code: string | null;
  reason: string | null;
  approvedBy: string | null;
  version: string | null;
  policies: Array<PolicySummary & { text: string | null }>;
}

const summary = (policy: PolicySummary): PolicySummary => ({ id: policy.id, effect: policy.effect, message: policy.message, approval: policy.approval, file: policy.file, line: policy.line });

/** The organisation's policies: check files, run test cases, explain a past call's decision, the active set and its history. */
export class PolicyOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Reads and validates the policy files against the schema (no store involved): see validatePolicySet. */
  validate(options: PolicyOptions): Promise<PolicyValidation> {
    return validatePolicySet(options);
  }

  /** Runs a JSON-lines case file against the policy files (no store involved): see testPolicySet. */
  test(options: PolicyOptions, casesFile: string, agents: readonly PolicyCaseAgent[] = []): Promise<PolicyTestReport> {
    return testPolicySet(options, casesFile, agents);
  }


  /** The policy decisions a past call (a step of a run, by key or position) got, one per attempt, with the policies as they were. */
  async explain(runId: string, step: string): Promise<{ runId: string; stepKey: string; decisions: ExplainedDecision[] }> {
    const { db } = this.#context.store;
    const records: AuditRecord[] = [];
    for await (const row of readAuditRows(db, { runId })) {
      const record = toAuditRecord(row);
      if (record.stepKey && (record.stepKey === step || record.stepKey.startsWith(`${step}:`)) && isDecision(record)) records.push(record);
    }
    if (records.length === 0) {
      throw new InputValidationError({ message: `Run ${runId} has no decision recorded for step "${step}".`, fix: `List its steps with \`cadre show ${runId}\` and pass a step key (e.g. 1.t/2:ledger).`, runId, step });
    }
    const sets = new Map<string, StoredPolicySet | undefined>();
    const decisions: ExplainedDecision[] = [];
    for (const record of records) {
      const policy = record.data.policy as { version?: string; policies?: string[]; approvedBy?: string } | undefined;
      const version = policy?.version ?? null;
      if (version && !sets.has(version)) sets.set(version, await getPolicySet(db, version));
      const stored = version ? sets.get(version) : undefined;
      decisions.push({
        seq: record.seq,
        at: record.at,
        kind: record.kind,
        attempt: typeof record.data.attempt === "number" ? record.data.attempt : null,
        outcome: outcomeOf(record),
        code: typeof record.data.code === "string" ? record.data.code : null,
        reason: typeof record.data.reason === "string" ? record.data.reason : null,
        approvedBy: policy?.approvedBy ?? null,
        version,
        policies: (policy?.policies ?? []).map((id) => {
          const found = stored?.policies.find((each) => each.id === id);
          return found ? { ...summary(found), text: found.text } : { id, effect: "forbid" as const, message: null, approval: null, file: "(unknown: policy set not stored)", line: 0, text: null };
        }),
      });
    }
    return { runId, stepKey: records[0]!.stepKey!, decisions };
  }

  /** The active policy set (the one the last runtime opened with), or null. */
  async active(): Promise<StoredPolicySet | null> {
    const version = await activePolicyVersion(this.#context.store.db);
    return version ? ((await getPolicySet(this.#context.store.db, version)) ?? null) : null;
  }

  /** Every policy set runtimes have run with, most recently activated first. */
  history(): ReturnType<typeof listPolicySets> {
    return listPolicySets(this.#context.store.db);
  }
}

const decisionKinds = new Set(["gateway.allow", "gateway.deny", "policy.approval-required"]);

/** Records a gateway decision is in: allow/deny/approval, and the start of agent calls and child workflows (their allow). */
function isDecision(record: AuditRecord): boolean {
  return decisionKinds.has(record.kind) || (record.kind === "step.start" && record.data.policy !== undefined);
}

function outcomeOf(record: AuditRecord): ExplainedDecision["outcome"] {
  if (record.kind === "policy.approval-required") return "approval";
  if (record.kind === "gateway.deny") return record.data.code === "POLICY_DENIED" ? "deny" : "refused";
  return "allow";
}

/** Reads and validates the policy files against the schema; problems are returned (file, line, message), not thrown. */
export async function validatePolicySet(options: PolicyOptions): Promise<PolicyValidation> {
  try {
    const engine = await PolicyEngine.load(options);
    return { ok: true, version: engine.version, schema: engine.set.sources.schema.path, policies: [...engine.set.policies.values()].map(summary) };
  } catch (error) {
    if (error instanceof PolicyInvalidError) return { ok: false, problems: error.details.problems as PolicyProblem[] };
    throw error;
  }
}

/** Decides each case of a JSON-lines file and compares it with what the case expects; agents and tools named by string come from `agents`. */
export async function testPolicySet(options: PolicyOptions, casesFile: string, agents: readonly PolicyCaseAgent[] = []): Promise<PolicyTestReport> {
  const engine = await PolicyEngine.load(options);
  const text = await readFile(casesFile, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new InputValidationError({ message: `Cannot read the case file ${casesFile}: ${error.code ?? error.message}.`, file: casesFile });
  });
  const results = parsePolicyCases(text, casesFile).map(({ line, case: testCase }): PolicyCaseResult => {
    const { target, call } = caseRequest(testCase, agents, `${casesFile}:${line}`);
    const decision = engine.decide(target, call);
    const policiesMatch = testCase.policies === undefined || [...testCase.policies].sort().join("\n") === [...decision.policies].sort().join("\n");
    return {
      line,
      name: testCase.name ?? `line ${line}`,
      passed: decision.outcome === testCase.expect && policiesMatch,
      expected: { outcome: testCase.expect, ...(testCase.policies ? { policies: testCase.policies } : {}) },
      actual: { outcome: decision.outcome, policies: decision.policies, reason: decision.reason },
    };
  });
  const passed = results.filter((result) => result.passed).length;
  return { version: engine.version, passed, failed: results.length - passed, results };
}
