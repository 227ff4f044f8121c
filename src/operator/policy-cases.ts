import { InputValidationError } from "../errors.ts";
import type { PolicyDecision } from "../policy/policy-engine.ts";
import type { PolicyAction, PolicyAgentFacts, PolicyCallFacts, PolicyEntity, PolicyTarget } from "../policy/policy-request.ts";

/** An agent as the cases may name it: its facts and its tools (an agent definition satisfies it). */
export interface PolicyCaseAgent extends PolicyAgentFacts {
  tools?: ReadonlyArray<{ name: string; scope: string; dataClass?: string; region?: string }>;
}

/**
 * One request/expected-decision case of `cadre policy test`, one JSON object per line:
 * `{"name": "...", "action": "tool", "agent": "reader", "tool": "ledger", "expect": "deny", "policies": ["data-class-clearance"]}`.
 * Agents and tools named by string are looked up in the configuration; an object gives the facts directly.
 */
export interface PolicyCase {
  name?: string;
  action: PolicyAction;
  /** The acting agent (tool and model calls), or the agent called (agent calls). */
  agent?: string | PolicyAgentFacts;
  /** The delegating agent of an agent call (default: the workflow calls it). */
  by?: string | PolicyAgentFacts;
  /** The run's workflow (default "test"); the principal of agent and child-workflow calls. */
  workflow?: string;
  tool?: string | { name: string; scope?: string; dataClass?: string; region?: string };
  /** The resource string the tool call touches (default: the tool's name). */
  resource?: string;
  model?: string | { id: string; region?: string };
  /** The child workflow of a `workflow` call. */
  child?: string;
  endpoint?: { url: string; region?: string };
  /** The worst case in micro-units. */
  amountMicros?: number;
  /** When the call happens (ISO 8601; default now). */
  at?: string;
  approved?: boolean;
  goal?: string;
  onBehalfOf?: string;
  expect: "allow" | "deny" | "approval";
  /** When given, the deciding policies must be exactly these. */
  policies?: string[];
}

export interface PolicyCaseResult {
  line: number;
  name: string;
  passed: boolean;
  expected: { outcome: PolicyCase["expect"]; policies?: string[] };
  actual: { outcome: PolicyDecision["outcome"]; policies: string[]; reason: string };
}

const actions: readonly PolicyAction[] = ["tool", "model", "agent", "workflow", "remote-agent", "paid-request"];

/** Parses a JSON-lines case file; a bad line is an InputValidationError naming it. */
export function parsePolicyCases(text: string, file: string): Array<{ line: number; case: PolicyCase }> {
  const cases: Array<{ line: number; case: PolicyCase }> = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "" || raw.trim().startsWith("//")) return;
    let parsed: PolicyCase;
    try {
      parsed = JSON.parse(raw) as PolicyCase;
    } catch (error) {
      throw new InputValidationError({ message: `${file}:${line}: not a JSON object (${(error as Error).message}).`, file, line });
    }
    if (!parsed || typeof parsed !== "object" || !actions.includes(parsed.action)) throw new InputValidationError({ message: `${file}:${line}: "action" must be one of ${actions.join(", ")}.`, file, line });
    if (!["allow", "deny", "approval"].includes(parsed.expect)) throw new InputValidationError({ message: `${file}:${line}: "expect" must be "allow", "deny" or "approval".`, file, line });
    cases.push({ line, case: parsed });
  });
  return cases;
}

/** The target and call facts of a case, with agents and tools named by string taken from `agents`. */
export function caseRequest(testCase: PolicyCase, agents: readonly PolicyCaseAgent[], where: string): { target: PolicyTarget; call: PolicyCallFacts } {
  const fail = (message: string) => new InputValidationError({ message: `${where}: ${message}`, where });
  const agentOf = (value: string | PolicyAgentFacts | undefined, role: string): PolicyCaseAgent => {
    if (value === undefined) throw fail(`a ${testCase.action} case needs "${role}"`);
    if (typeof value !== "string") return value;
    const found = agents.find((agent) => agent.name === value);
    if (!found) throw fail(`agent "${value}" is not in the configuration (known: ${agents.map((agent) => agent.name).join(", ") || "none"}); give its facts as an object instead`);
    return found;
  };
  const workflow = testCase.workflow ?? "test";
  const workflowEntity: PolicyEntity = { type: "Workflow", name: workflow };
  let target: PolicyTarget;
  switch (testCase.action) {
    case "tool": {
      const agent = agentOf(testCase.agent, "agent");
      if (testCase.tool === undefined) throw fail(`a tool case needs "tool"`);
      const tool = typeof testCase.tool === "string" ? agents.flatMap((each) => each.tools ?? []).find((each) => each.name === testCase.tool) : testCase.tool;
      if (!tool) throw fail(`tool "${String(testCase.tool)}" is not a tool of any configured agent; give its facts as an object instead`);
      target = { action: "tool", principal: { type: "Agent", agent }, resource: { type: "Tool", name: tool.name, scope: tool.scope ?? `tool:${tool.name}`, resource: testCase.resource ?? tool.name, dataClass: tool.dataClass, region: tool.region } };
      break;
    }
    case "model": {
      const agent = agentOf(testCase.agent, "agent");
      const model = typeof testCase.model === "string" ? { id: testCase.model } : testCase.model;
      if (!model) throw fail(`a model case needs "model"`);
      target = { action: "model", principal: { type: "Agent", agent }, resource: { type: "Model", id: model.id, provider: model.id.split(":")[0]!, region: "region" in model ? model.region : undefined } };
      break;
    }
    case "agent":
      target = { action: "agent", principal: testCase.by === undefined ? workflowEntity : { type: "Agent", agent: agentOf(testCase.by, "by") }, resource: { type: "Agent", agent: agentOf(testCase.agent, "agent") } };
      break;
    case "workflow":
      if (!testCase.child) throw fail(`a workflow case needs "child"`);
      target = { action: "workflow", principal: workflowEntity, resource: { type: "Workflow", name: testCase.child } };
      break;
    default:
      if (!testCase.endpoint) throw fail(`a ${testCase.action} case needs "endpoint"`);
      target = { action: testCase.action, principal: testCase.agent === undefined ? workflowEntity : { type: "Agent", agent: agentOf(testCase.agent, "agent") }, resource: { type: "Endpoint", ...testCase.endpoint } };
  }
  const now = testCase.at === undefined ? Date.now() : Date.parse(testCase.at);
  if (Number.isNaN(now)) throw fail(`"at" ${JSON.stringify(testCase.at)} is not an ISO 8601 time`);
  const amountMicros = testCase.amountMicros ?? 0;
  if (!Number.isSafeInteger(amountMicros) || amountMicros < 0) throw fail(`"amountMicros" must be a non-negative integer (micro-units)`);
  return {
    target,
    call: { amountMicros, runId: "run_policy_test", workflow, onBehalfOf: testCase.onBehalfOf ?? "policy-test", goal: testCase.goal ?? null, approved: testCase.approved ?? false, stepKey: "1:test", now },
  };
}
