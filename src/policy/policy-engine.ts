import type * as CedarTypes from "@cedar-policy/cedar-wasm/nodejs";
import { loadCedar, type Cedar } from "./cedar.ts";
import { cadreSchema } from "./cadre-schema.ts";
import { compilePolicySet, engineSetId, type CompiledPolicySet } from "./compile-policy-set.ts";
import { PolicyInvalidError } from "./policy-errors.ts";
import { cedarRequest, type CedarRequest, type PolicyCallFacts, type PolicyTarget } from "./policy-request.ts";
import { readPolicySources, type PolicyOptions } from "./policy-sources.ts";

/**
 * What the policy set decided about one call. `approval`: only `@approval` forbids refused it,
 * and no person has approved it yet.
 */
export interface PolicyDecision {
  outcome: "allow" | "deny" | "approval";
  version: string;
  /** The policies that decided: the permits that allowed, or the forbids that refused. Empty when nothing permits. */
  policies: string[];
  /** The forbids' `@message`/`@approval` texts, or why nothing decided. */
  reason: string;
  /** Policies that could not be evaluated for this request (Cedar skips them); named in the record. */
  errors: string[];
}

/** Decisions kept per version: oldest out first. */
const decisionCacheSize = 1024;

/** Evaluates calls against one compiled policy set; the set was parsed into the engine once. */
export class PolicyEngine {
  readonly set: CompiledPolicySet;
  readonly #cedar: Cedar;
  readonly #setId: string;
  readonly #decisions = new Map<string, PolicyDecision>();

  constructor(set: CompiledPolicySet, cedar: Cedar) {
    this.set = set;
    this.#cedar = cedar;
    this.#setId = engineSetId(set.version);
  }

  /** Reads, validates and compiles the policy set named in the configuration. */
  static async load(options: PolicyOptions): Promise<PolicyEngine> {
    const cedar = await loadCedar();
    const engine = new PolicyEngine(compilePolicySet(await readPolicySources(options), cedar), cedar);
    engine.#checkSchemaFits();
    return engine;
  }

  get version(): string {
    return this.set.version;
  }

  /**
   * Decides a call. A decision is a pure function of the set and the request, and the request
   * carries only the attributes some policy reads, so the same request (the same agent, tool,
   * class and amount: most calls of a run) is answered from a small cache of this version.
   */
  decide(target: PolicyTarget, call: PolicyCallFacts): PolicyDecision {
    const request = cedarRequest(target, call, this.set.attributes);
    const key = `${call.approved ? 1 : 0}${JSON.stringify(request)}`;
    const cached = this.#decisions.get(key);
    if (cached) return cached;
    const decision = this.#evaluate(request, call);
    if (this.#decisions.size >= decisionCacheSize) this.#decisions.delete(this.#decisions.keys().next().value!);
    this.#decisions.set(key, decision);
    return decision;
  }

  #evaluate(request: CedarRequest, call: PolicyCallFacts): PolicyDecision {
    const answer = this.#cedar.statefulIsAuthorized({ ...request, preparsedPolicySetId: this.#setId, validateRequest: false } as CedarTypes.StatefulAuthorizationCall);
    const version = this.set.version;
    // Fail closed: a request the engine cannot take is refused, never let through.
    if (answer.type === "failure") return { outcome: "deny", version, policies: [], reason: `the policy engine could not evaluate the call: ${answer.errors.map((error) => error.message).join("; ")}`, errors: [] };
    const { decision, diagnostics } = answer.response;
    const errors = diagnostics.errors.map((error) => `${error.policyId}: ${error.error.message}`);
    const policies = diagnostics.reason;
    if (decision === "allow") return { outcome: "allow", version, policies, reason: "permitted", errors };
    if (policies.length === 0) return { outcome: "deny", version, policies, reason: "no policy permits it", errors };
    const forbids = policies.map((id) => this.set.policies.get(id)!);
    if (forbids.every((policy) => policy.approval !== null)) {
      const reason = forbids.map((policy) => policy.approval).join("; ");
      return call.approved ? { outcome: "allow", version, policies, reason: `approved: ${reason}`, errors } : { outcome: "approval", version, policies, reason, errors };
    }
    const refusing = forbids.filter((policy) => policy.approval === null);
    return { outcome: "deny", version, policies: refusing.map((policy) => policy.id), reason: refusing.map((policy) => policy.message ?? `forbidden by policy "${policy.id}"`).join("; "), errors };
  }

  /**
   * A schema of the user's own must still describe what Cadre sends: one request of each
   * kind is checked against it, so a mismatch fails here and not as a silent skip at a call.
   */
  #checkSchemaFits(): void {
    const { schema } = this.set.sources;
    if (schema.text === cadreSchema) return;
    const agent = { type: "Agent" as const, agent: { name: "probe" } };
    const call = { amountMicros: 0, runId: "run", workflow: "probe", onBehalfOf: "probe", goal: null, approved: false, stepKey: "1:probe", now: 0 };
    const targets: PolicyTarget[] = [
      { action: "tool", principal: agent, resource: { type: "Tool", name: "probe", scope: "probe", resource: "probe" } },
      { action: "model", principal: agent, resource: { type: "Model", id: "probe:model", provider: "probe" } },
      { action: "agent", principal: { type: "Workflow", name: "probe" }, resource: agent },
      { action: "workflow", principal: { type: "Workflow", name: "probe" }, resource: { type: "Workflow", name: "child" } },
    ];
    for (const target of targets) {
      const answer = this.#cedar.isAuthorized({ ...cedarRequest(target, call), policies: {}, schema: schema.text, validateRequest: true } as CedarTypes.AuthorizationCall);
      if (answer.type === "failure") {
        throw new PolicyInvalidError({
          problems: [{ file: schema.path, line: 0, column: 0, message: `the schema does not describe what Cadre sends for a ${target.action} call: ${answer.errors.map((error) => error.message).join("; ")}`, help: "start from the schema `cadre policy schema` prints" }],
        });
      }
    }
  }
}
