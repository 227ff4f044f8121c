import { appendAudit } from "../governance/audit-log.ts";
import { holdsGrant } from "../governance/grants.ts";
import { agentStatus } from "../governance/inventory.ts";
import { roleAllows, type OperatorRole } from "../governance/operator-keys.ts";
import type { Operator } from "../operator/operator.ts";
import type { ExposedTarget, ExposureProtocol } from "../workflow/exposure.ts";
import type { RunHandle } from "../workflow/run-handle.ts";
import type { Runtime } from "../workflow/runtime.ts";
import { ForbiddenError, UnauthenticatedError } from "./server-errors.ts";

/**
 * Who calls an exposed workflow or agent from outside the process: a person or program with
 * an operator key, or another agent with its credential (`cadre keys create <agent>`).
 */
export type Caller = { kind: "operator"; name: string; role: OperatorRole } | { kind: "agent"; name: string };

/** The principal a caller's runs are recorded under: `operator:ana`, `agent:buyer`. */
export const callerPrincipal = (caller: Caller) => `${caller.kind}:${caller.name}`;

/** The grant scope an agent needs to call an exposed target: `expose:<name>` (globs allowed, e.g. `expose:*`). */
export const exposeScope = (target: Pick<ExposedTarget, "name">) => `expose:${target.name}`;

/**
 * The caller a bearer secret names: an operator key, else an agent credential. UNAUTHENTICATED
 * (401) for neither; an unknown secret never says which kind it was mistaken for.
 */
export async function authenticateCaller(operator: Operator, secret: string | undefined): Promise<Caller> {
  if (!secret) throw new UnauthenticatedError({ message: "Calling an exposed workflow or agent needs a credential: send `Authorization: Bearer <key>` with an operator key (`cadre keys create --operator <name> --role operator`) or an agent credential (`cadre keys create <agent>`)." });
  const key = await operator.keys.authenticate(secret);
  if (key) return { kind: "operator", name: key.operator, role: key.role };
  const agent = await operator.credentials.verify(secret);
  if (agent) return { kind: "agent", name: agent };
  throw new UnauthenticatedError({ message: "The credential is unknown or revoked: list operator keys with `cadre keys list --operators`, an agent's with `cadre keys list <agent>`." });
}

/**
 * Whether the caller may call the target: an operator needs the operator role or above; an
 * agent must be active and hold a live grant for `expose:<name>`. The reason says what is missing.
 */
export async function mayCall(runtime: Runtime, caller: Caller, target: ExposedTarget): Promise<{ allowed: true } | { allowed: false; reason: string }> {
  if (caller.kind === "operator") {
    return roleAllows(caller.role, "operator") ? { allowed: true } : { allowed: false, reason: `${caller.name} has the ${caller.role} role; calling needs the operator role or above` };
  }
  const status = await agentStatus(runtime.store.db, caller.name);
  if (!status) return { allowed: false, reason: `agent ${caller.name} is not in this store's inventory` };
  if (status.status !== "active") return { allowed: false, reason: `agent ${caller.name} is ${status.status}` };
  const scope = exposeScope(target);
  // Outside any run: a step's just-in-time grant never counts here.
  const held = await holdsGrant(runtime.store.db, { agent: caller.name, wanted: { scope }, now: runtime.now(), runId: "", stepKey: "" });
  return held ? { allowed: true } : { allowed: false, reason: `agent ${caller.name} holds no live grant for ${scope} (add one: cadre grants ${caller.name} --add ${scope})` };
}

/** The targets offered over `via` that the caller may call: what tools/list and the agent cards show it. */
export async function callableTargets(runtime: Runtime, caller: Caller, via: ExposureProtocol): Promise<ExposedTarget[]> {
  const callable: ExposedTarget[] = [];
  for (const target of runtime.exposed) {
    if (target.via.includes(via) && (await mayCall(runtime, caller, target)).allowed) callable.push(target);
  }
  return callable;
}

/**
 * Starts a run of the target for the caller: recorded under the caller's principal, funded
 * like any run of the target's workflow. A caller that may not call it gets FORBIDDEN (403),
 * and the refusal is audited (`expose.denied`) with the protocol and the reason.
 */
export async function startExposedCall(runtime: Runtime, options: { caller: Caller; target: ExposedTarget; input: unknown; via: ExposureProtocol; runId?: string }): Promise<RunHandle> {
  const { caller, target, via } = options;
  const decision = target.via.includes(via) ? await mayCall(runtime, caller, target) : { allowed: false as const, reason: `${target.name} is not offered over ${via}` };
  if (!decision.allowed) {
    await runtime.store.transaction((tx) =>
      appendAudit(tx, runtime.store.dialect, [{ kind: "expose.denied", at: runtime.now(), workflow: target.workflow.name, agent: caller.kind === "agent" ? caller.name : null, principal: callerPrincipal(caller), data: { target: target.name, targetKind: target.kind, via, reason: decision.reason } }]),
    );
    throw new ForbiddenError({ message: `${callerPrincipal(caller)} may not call ${target.kind} ${target.name}: ${decision.reason}.`, operator: caller.name, action: `call ${target.name}`, reason: decision.reason });
  }
  return runtime.start(target.workflow, options.input, { principal: callerPrincipal(caller), ...(options.runId ? { runId: options.runId } : {}) });
}
