import type { CadreError } from "../../errors.ts";
import type { PolicyApproval } from "../../governance/gateway.ts";
import { RunSuspended } from "../patterns/suspension.ts";
import { waitDurably } from "../patterns/waiting.ts";
import type { EffectSite, EffectStep } from "./effect.ts";

/**
 * Where the approval a policy asks for is journaled: beside the effect's own step, so a
 * resumed run finds it before it runs the effect again. Its name is what `cadre approve`
 * takes: `policy:<policy id>@<position>` (a run may hold several such calls).
 */
function approvalStep(step: EffectStep, policy: string): { position: string; key: string; name: string } {
  const position = `${step.position}.policy`;
  const name = `policy:${policy}@${step.position.replaceAll("/", ".")}`;
  return { position, key: `${position}:approval:${name}`, name };
}

/** The decision on this effect's policy approval, once a person took it. */
export function recordedPolicyApproval(site: EffectSite, step: EffectStep): PolicyApproval | undefined {
  const entry = site.state.journal.at(`${step.position}.policy`);
  if (entry?.status !== "completed") return undefined;
  const decision = entry.output as { approved: boolean; by: string; note: string | null };
  return { approved: decision.approved, by: decision.by, note: decision.note };
}

/**
 * A policy asked for a person's approval: the run parks on an approval naming the policy
 * and what it is asked about (`cadre approvals` lists it). When it resumes, the effect runs
 * again with the decision: approved, the policy lets it through; rejected, it is denied.
 */
export async function parkOnPolicyApproval(site: EffectSite, step: EffectStep, refusal: CadreError): Promise<never> {
  const { state } = site;
  const policies = refusal.details.policies as string[];
  const { position, key, name } = approvalStep(step, policies[0] ?? "policy");
  const request = { policy: policies, reason: refusal.details.reason, action: refusal.details.action, agent: refusal.details.agent, resource: refusal.details.resource, stepKey: step.key, version: refusal.details.version };
  try {
    await waitDurably({ runId: state.runId, journal: state.journal, now: state.now }, { position, key, name: `approval:${name}`, type: "approval", request: { request }, describe: `approval "${name}" asked by policy` });
  } catch (error) {
    // The run parks whatever the code around the effect does with the suspension (an agent catching its tool's error).
    if (RunSuspended.is(error)) state.suspended ??= error;
    throw error;
  }
  // Decided between the refusal and this wait (another process approved at once): run the effect again.
  throw new RunSuspended(key, `approval "${name}" was decided: resume the run`);
}
