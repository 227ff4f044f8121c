import type { CadreError } from "../errors.ts";
import type { Logger } from "../engine/logger.ts";
import type { StepHooks } from "../engine/run-step.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import { PolicyApprovalRequiredError, PolicyDeniedError } from "../policy/policy-errors.ts";
import { describeEntity, type PolicyAgentFacts, type PolicyTarget } from "../policy/policy-request.ts";
import { checkBeforeCommit, type Db, type Store, type StoreDialect } from "../store/store.ts";
import { appendAudit, type AuditEntry } from "./audit-log.ts";
import { authorize, holdsGrant, insertGrant, liveGrants, revokeStepGrants, withinCeiling, type GrantSpec } from "./grants.ts";
import { AgentRevokedError, PermissionDeniedError, ReviewOverdueError } from "./governance-errors.ts";
import { reserve, settle, type HoldLevel, type Reservation } from "./holds.ts";
import { agentStatus, type AgentStatusRow } from "./inventory.ts";
import { accountSpent, callAccount, capAccount, ensureAccount, getAccount, runAccount, sweep, transfer } from "./ledger.ts";

/** Per-agent money limits, all in micro-units. */
export interface AgentBudget {
  /** Funds moved from the run into the call's own sub-account for each call of this agent. */
  perCall?: number;
  /** Standing caps across all runs, per UTC day and month. */
  perDay?: number;
  perMonth?: number;
  /** Warn (log + audit) when a standing cap is this used, 0..1 (default 0.8). */
  warnAt?: number;
}

/** The governance facts about an agent the gateway needs (policies see the rest); agent definitions satisfy it. */
export interface GovernedAgent extends PolicyAgentFacts {
  name: string;
  risk?: string;
  budget?: AgentBudget;
}

/** A person's answer to the approval a policy asked for, as the effect function found it in the journal. */
export interface PolicyApproval {
  approved: boolean;
  by: string;
  note: string | null;
}

/** What a priced effect costs: the worst case is held before it runs, the actual cost settled after. */
export interface EffectPrice {
  /** What is paid for, for cost attribution: `tool:name`, `model:provider:id`. */
  subject: string;
  worstCase(): number;
  actual(output: unknown): { costMicros: number; units: Record<string, unknown> };
  /**
   * What an attempt that failed had already used and must pay for (a streamed model call
   * aborted after its first tokens); undefined when it used nothing, and the hold is released.
   */
  used?(attempt: number): { costMicros: number; units: Record<string, unknown> } | undefined;
}

/**
 * What the gateway must know of an effect, declared once by each effect kind (see
 * workflow/effects/): who acts, what it needs, what it costs and from which account.
 */
export interface GovernedEffect {
  /** The step's name, for the audit records of a plain step. */
  name: string;
  /** Who acts: authenticated before the effect, whose grants and standing caps apply. */
  agent?: GovernedAgent;
  /** An agent call: funds the call's own sub-account (its perCall) and issues just-in-time grants. */
  call?: { grants?: GrantSpec[]; delegatedBy?: { agent: string; stepKey: string } };
  /** The grant the effect needs. */
  permission?: { scope: string; resource: string };
  /**
   * Checks beyond the grant, in the transaction that authorizes the effect (a knowledge
   * collection's data-access level against the agent's): what it throws is refused and audited
   * like a missing grant, before any money is held.
   */
  authorize?(tx: Db): Promise<void>;
  /**
   * What the agent was shown, recorded with the settlement when the effect succeeds: who saw
   * what (the documents and chunks a search returned), in the same transaction as its outcome.
   */
  disclosure?(output: unknown): { kind: string; data: Record<string, unknown> } | undefined;
  price?: EffectPrice;
  /** The agent call this effect runs inside: its just-in-time grants apply, and it pays from its account (see `moneyAccountFor`). */
  within?: AgentCallFrame;
  /** False for steps that write their own records (or none): no step.start/step.end records. */
  audited?: boolean;
  /** What the policy set is asked about this effect; effects without it (plain steps) are not policy decisions. */
  policy?: PolicyTarget;
}

/** The disclosure record of a successful effect, if it declares one. */
function disclosed(effect: GovernedEffect, outcome: { ok: boolean; output?: unknown }): Array<{ kind: string; data: Record<string, unknown> }> {
  if (!outcome.ok || !effect.disclosure) return [];
  const record = effect.disclosure(outcome.output);
  return record ? [record] : [];
}

/** An agent call as the effects inside it see it. */
export interface AgentCallFrame {
  stepKey: string;
  moneyAccount: string;
}

/** The account an agent call's effects pay from: its own sub-account when it has a perCall budget, else the run's. */
export function moneyAccountFor(runId: string, agent: GovernedAgent, agentStepKey: string): string {
  return agent.budget?.perCall !== undefined ? callAccount(runId, agentStepKey) : runAccount(runId);
}

export interface GatewayOptions {
  dialect: StoreDialect;
  /** For records that are not part of a step's own transaction (flags, warnings): the run's fenced writer. */
  store: Pick<Store, "write">;
  runId: string;
  workflow: string;
  principal: string;
  now(): number;
  logger: Logger;
  /** Refuse high-risk agents whose review is overdue. */
  blockOverdueReviews: boolean;
  /** For a child run: the most it may use, whatever its agents hold (its parent's grants at most). */
  ceiling?: GrantSpec[] | null;
  /**
   * Told of every record about a step as its transaction is written (tracing turns them into
   * span events). A batch that fails and is retried writes its records again, so the same
   * decision can be told twice; it is never told of a decision that is not written.
   */
  observe?: (record: { kind: string; stepKey: string; agent?: string | undefined; data: Record<string, unknown> }) => void;
  /** The organisation's policies, evaluated for every effect after its grants and before any money is held. */
  policy?: PolicyEngine | undefined;
  /** The run's goal, which policies may read. */
  goal?: string | null;
}

const dayMs = 86_400_000;

type AuditRecords = Array<Omit<AuditEntry, "at" | "runId" | "workflow" | "principal">>;

/**
 * The single path every effect takes: authenticate → authorize → reserve → (execute) →
 * settle → audit. It produces the StepHooks that commit each decision in the same
 * transaction as the journal write it belongs to; refusals are journaled and audited too.
 */
export class Gateway {
  readonly #options: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  /** `entries` may be a promise: records naming what statements not answered yet decided (see appendAudit). */
  async #audit(tx: Db, entries: AuditRecords | Promise<AuditRecords>): Promise<void> {
    const { runId, workflow, principal, now, observe } = this.#options;
    const at = now();
    const told = (list: AuditRecords) => {
      if (!observe) return;
      for (const entry of list) {
        if (entry.stepKey) observe({ kind: entry.kind, stepKey: entry.stepKey, agent: entry.agent ?? undefined, data: entry.data ?? {} });
      }
    };
    const complete = (list: AuditRecords) => list.map((entry) => ({ ...entry, at, runId, workflow, principal }));
    if (Array.isArray(entries)) {
      await appendAudit(tx, this.#options.dialect, complete(entries));
      told(entries);
      return;
    }
    await appendAudit(
      tx,
      this.#options.dialect,
      entries.then((list) => {
        told(list);
        return complete(list);
      }),
    );
  }

  /** Writes a record on its own (group-committed), e.g. a low-confidence flag. */
  record(kind: string, entry: { stepKey?: string; agent?: string; data: Record<string, unknown> }): Promise<void> {
    return this.#options.store.write((tx) => this.#audit(tx, [{ kind, stepKey: entry.stepKey, agent: entry.agent, data: entry.data }]));
  }

  /** Run start/end and other run-level records. */
  auditRun(tx: Db, kind: string, data: Record<string, unknown>): Promise<void> {
    return this.#audit(tx, [{ kind, data }]);
  }

  /** The agent exists in the inventory, is active, and is not overdue for review if that blocks. */
  async #authenticate(tx: Db, agent: string, status: Promise<AgentStatusRow | undefined> = agentStatus(tx, agent)): Promise<void> {
    const row = await status;
    if (!row) throw new AgentRevokedError({ agent, reason: "not in the inventory", revokedAt: null });
    if (row.status === "revoked") throw new AgentRevokedError({ agent, reason: row.status_reason, revokedAt: row.status_changed_at === null ? null : Number(row.status_changed_at) });
    if (this.#options.blockOverdueReviews && row.risk === "high" && row.review_every_days) {
      const dueAt = Number(row.last_reviewed_at ?? row.created_at) + row.review_every_days * dayMs;
      if (dueAt < this.#options.now()) throw new ReviewOverdueError({ agent, dueAt });
    }
  }

  /**
   * The hooks that commit an effect's governance with its journal writes: an agent call's
   * funding and grants, a priced effect's authorization, hold and settlement, or a plain
   * step's audit records. A refusal (no grant, no budget, or by the step's guard before any
   * hold: an open breaker, a full bulkhead) is journaled as a failed attempt and audited as a
   * denial, in one transaction that holds no money.
   */
  hooks(effect: GovernedEffect, stepKey: string, approval?: PolicyApproval): StepHooks | undefined {
    if (effect.call && effect.agent) return this.#agentCallHooks(effect, stepKey, approval);
    if (effect.agent && (effect.price || effect.permission)) return this.#pricedHooks(effect as GovernedEffect & { agent: GovernedAgent }, stepKey, approval);
    if (effect.policy && this.#options.policy) return this.#decidedStepHooks(effect, stepKey, approval);
    return effect.audited === false ? undefined : this.#stepHooks(effect.name, stepKey);
  }

  /** The version of the policy set effects are decided by (undefined without one): an effect may then ask for a person's approval. */
  get policyVersion(): string | undefined {
    return this.#options.policy?.version;
  }

  /**
   * The policy decision, after the grants and before any hold: a forbid throws POLICY_DENIED,
   * a forbid annotated `@approval` POLICY_APPROVAL_REQUIRED (the effect function parks the run
   * on an approval naming the policy) unless a person approved; an allow returns what the
   * allow record names: the version and the deciding policies.
   */
  #decide(effect: GovernedEffect, stepKey: string, amountMicros: number, approval: PolicyApproval | undefined): Record<string, unknown> | undefined {
    const engine = this.#options.policy;
    const target = effect.policy;
    if (!engine || !target) return undefined;
    const { runId, workflow, principal, now } = this.#options;
    const decision = engine.decide(target, { amountMicros, runId, workflow, onBehalfOf: principal, goal: this.#options.goal ?? null, approved: approval?.approved === true, stepKey, now: now() });
    const details = { version: decision.version, policies: decision.policies, action: target.action, agent: effect.agent?.name ?? null, resource: describeEntity(target.resource), reason: decision.reason, runId, stepKey };
    if (decision.outcome === "approval") {
      if (approval && !approval.approved) throw new PolicyDeniedError({ ...details, reason: `${decision.reason}; the approval was rejected by ${approval.by}${approval.note ? ` (${approval.note})` : ""}`, rejectedBy: approval.by });
      throw new PolicyApprovalRequiredError(details);
    }
    if (decision.outcome === "deny") throw new PolicyDeniedError(details);
    return { version: decision.version, policies: decision.policies, ...(approval?.approved ? { approvedBy: approval.by } : {}), ...(decision.errors.length > 0 ? { errors: decision.errors } : {}) };
  }

  /** A refusal's record: a denial, or a call held for a person's approval; both name the policy version and policies when a policy decided. */
  #refusal(tx: Db, stepKey: string, agent: string | undefined, data: Record<string, unknown>, error: CadreError): Promise<void> {
    const policy = error.code === "POLICY_DENIED" || error.code === "POLICY_APPROVAL_REQUIRED" ? { policy: { version: error.details.version, policies: error.details.policies } } : {};
    const kind = error.code === "POLICY_APPROVAL_REQUIRED" ? "policy.approval-required" : "gateway.deny";
    return this.#audit(tx, [{ kind, stepKey, agent, data: { ...data, code: error.code, reason: error.message, ...policy } }]);
  }

  /** Hooks for an agent call: authenticate, issue just-in-time grants, the policy decision, fund the call's sub-account; on end return unspent funds and revoke the grants. */
  #agentCallHooks(effect: GovernedEffect, stepKey: string, approval: PolicyApproval | undefined): StepHooks {
    const agent = effect.agent!;
    const jitGrants = effect.call?.grants ?? [];
    const parent = effect.call?.delegatedBy;
    const { runId, now } = this.#options;
    const perCall = agent.budget?.perCall;
    return {
      started: async (tx, attempt) => {
        await this.#authenticate(tx, agent.name);
        for (const grant of jitGrants) {
          this.#checkCeiling(grant.scope, grant.resource ?? "*", agent.name, stepKey);
          // A sub-agent never receives more than the agent delegating to it holds.
          if (parent && !(await holdsGrant(tx, { agent: parent.agent, wanted: grant, now: now(), runId, stepKey: parent.stepKey }))) {
            throw new PermissionDeniedError({ agent: parent.agent, scope: grant.scope, resource: grant.resource ?? "*", reason: `it cannot pass to sub-agent "${agent.name}" a grant it does not hold itself`, runId, stepKey });
          }
          await insertGrant(tx, { agent: agent.name, grant, kind: "jit", now: now(), runId, stepKey });
        }
        const policy = this.#decide(effect, stepKey, perCall ?? 0, approval);
        if (perCall !== undefined) {
          const account = callAccount(runId, stepKey);
          await ensureAccount(tx, { id: account, kind: "agent-run", name: `${agent.name} in ${runId} at ${stepKey}`, runId, agent: agent.name, parentId: runAccount(runId), now: now() });
          await sweep(tx, { from: account, to: runAccount(runId), now: now(), runId, stepKey, agent: agent.name });
          // perCall is the budget of the logical call: a retried or resumed call gets what its earlier attempts left.
          const alreadySpent = (await getAccount(tx, account))?.spent ?? 0;
          await transfer(tx, { from: runAccount(runId), to: account, amount: Math.max(0, perCall - alreadySpent), level: "run", now: now(), runId, stepKey, agent: agent.name, note: "fund call" });
        }
        await this.#audit(tx, [
          { kind: "step.start", stepKey, agent: agent.name, data: { type: "agent", attempt: attempt.attempt, fundedMicros: perCall ?? 0, ...(policy ? { policy } : {}) } },
          ...jitGrants.map((grant) => ({ kind: "grant.issued", stepKey, agent: agent.name, data: { ...grant, jit: true } })),
        ]);
      },
      ended: async (tx, attempt, outcome) => {
        const returned = perCall === undefined ? 0 : await sweep(tx, { from: callAccount(runId, stepKey), to: runAccount(runId), now: now(), runId, stepKey, agent: agent.name });
        const revoked = jitGrants.length > 0 ? await revokeStepGrants(tx, { runId, stepKey, now: now() }) : 0;
        await this.#audit(tx, [
          { kind: "step.end", stepKey, agent: agent.name, data: { type: "agent", attempt: attempt.attempt, ok: outcome.ok, returnedMicros: returned, ...(outcome.error ? { error: outcome.error.code } : {}) } },
          ...(revoked > 0 ? [{ kind: "grant.revoked", stepKey, agent: agent.name, data: { jit: true, count: revoked } }] : []),
        ]);
      },
      refused: (tx, attempt, error) => this.#refusal(tx, stepKey, agent.name, { type: "agent", attempt: attempt.attempt }, error),
    };
  }

  /**
   * A priced effect of an agent (a tool call, a model call, a paid HTTP request):
   * authenticate → authorize (when it needs a permission) → reserve the worst case on every
   * level → settle the actual cost (at most what was held) → audit each decision.
   */
  #pricedHooks(effect: GovernedEffect & { agent: GovernedAgent }, stepKey: string, approval: PolicyApproval | undefined): StepHooks {
    const { agent } = effect;
    const subject = effect.price?.subject ?? `agent:${agent.name}`;
    const price: EffectPrice = effect.price ?? { subject, worstCase: () => 0, actual: () => ({ costMicros: 0, units: {} }) };
    const { runId, now } = this.#options;
    const reservations = new Map<number, { reservation: Reservation; worst: number }>();
    const moneyAccount = effect.within?.moneyAccount ?? runAccount(runId);
    const options = { ...effect, worstCase: price.worstCase, actual: price.actual };
    return {
      started: async (tx, attempt) => {
        // Nothing here waits for the database: the reads go out together, the hold right behind
        // them, and the decision is checked on their answers before the transaction commits (one
        // round trip on PostgreSQL, not one per statement). Checks fail the transaction in the
        // order a refusal is decided: agent, grant, ceiling, the effect's own checks, policy, money.
        const status = agentStatus(tx, agent.name);
        const grants = options.permission ? liveGrants(tx, agent.name) : undefined;
        grants?.catch(() => {});
        const worst = options.worstCase();
        const decided = (async () => {
          await this.#authenticate(tx, agent.name, status);
          let grant: string | undefined;
          if (options.permission && grants) {
            const { scope, resource } = options.permission;
            // A just-in-time grant is issued to (and scoped by) the agent call that pays: the step key of its account.
            const authorization = await authorize(tx, { agent: agent.name, scope, resource, now: now(), runId, stepKey: effect.within?.stepKey ?? stepKey, live: await grants });
            if (!authorization.allowed) throw new PermissionDeniedError({ agent: agent.name, scope, resource, reason: authorization.reason, runId, stepKey });
            grant = authorization.grantId;
            this.#checkCeiling(options.permission.scope, options.permission.resource, agent.name, stepKey);
          }
          if (effect.authorize) await effect.authorize(tx);
          return { grant, policy: this.#decide(effect, stepKey, worst, approval) };
        })();
        await checkBeforeCommit(tx, decided);
        const levels = await this.#levels(tx, agent, moneyAccount);
        const reservation = await reserve(tx, { levels, amount: worst, now: now(), runId, stepKey, agent: agent.name });
        reservations.set(attempt.attempt, { reservation, worst });
        await this.#audit(
          tx,
          decided.then(({ grant, policy }) => [{ kind: "gateway.allow", stepKey, agent: agent.name, data: { subject, ...options.permission, grant, reservedMicros: worst, attempt: attempt.attempt, ...(policy ? { policy } : {}) } }]),
        );
      },
      ended: async (tx, attempt, outcome) => {
        const held = reservations.get(attempt.attempt);
        if (!held) return;
        const settled = outcome.ok ? options.actual(outcome.output) : (price.used?.(attempt.attempt) ?? { costMicros: 0, units: {} });
        // Not awaited: the records name the amount once the settlement's answer arrives, before the transaction commits.
        const charged = settle(tx, {
          reservation: held.reservation,
          actual: Math.min(settled.costMicros, held.worst),
          now: now(),
          attribution: { runId, stepKey, agent: agent.name, subject, units: settled.units },
        });
        await this.#audit(
          tx,
          charged.then((charged) => [
            {
              kind: outcome.ok ? "gateway.settle" : "gateway.release",
              stepKey,
              agent: agent.name,
              data: { subject, chargedMicros: charged, releasedMicros: held.worst - charged, units: settled.units, attempt: attempt.attempt, ...(settled.costMicros > held.worst ? { overrunMicros: settled.costMicros - held.worst } : {}), ...(outcome.error ? { error: outcome.error.code } : {}) },
            },
            ...disclosed(effect, outcome).map((record) => ({ ...record, stepKey, agent: agent.name })),
          ]),
        );
        if (agent.budget?.perDay || agent.budget?.perMonth) {
          const amount = await charged;
          if (amount > 0) await this.#warnNearCaps(tx, agent, amount);
        }
      },
      refused: (tx, attempt, error) => this.#refusal(tx, stepKey, agent.name, { subject, ...options.permission, attempt: attempt.attempt, ...(error.details.level ? { level: error.details.level } : {}) }, error),
    };
  }

  /** Hooks for an effect without an agent that policies decide (a child workflow): the decision, then audited start and end. */
  #decidedStepHooks(effect: GovernedEffect, stepKey: string, approval: PolicyApproval | undefined): StepHooks {
    const type = effect.policy!.action;
    return {
      started: (tx, attempt) => {
        const policy = this.#decide(effect, stepKey, effect.policy!.amountMicros ?? 0, approval);
        return this.#audit(tx, [{ kind: "step.start", stepKey, data: { type, name: effect.name, attempt: attempt.attempt, policy } }]);
      },
      ended: (tx, attempt, outcome) => this.#audit(tx, [{ kind: "step.end", stepKey, data: { type, name: effect.name, attempt: attempt.attempt, ok: outcome.ok } }]),
      refused: (tx, attempt, error) => this.#refusal(tx, stepKey, undefined, { type, name: effect.name, attempt: attempt.attempt }, error),
    };
  }

  /** Hooks for a plain journaled step (`ctx.step`): audited start and end. */
  #stepHooks(name: string, stepKey: string): StepHooks {
    return {
      started: (tx, attempt) => this.#audit(tx, [{ kind: "step.start", stepKey, data: { type: "step", name, attempt: attempt.attempt } }]),
      ended: (tx, attempt, outcome) => this.#audit(tx, [{ kind: "step.end", stepKey, data: { type: "step", name, attempt: attempt.attempt, ok: outcome.ok } }]),
    };
  }

  /** A child run never uses more than its parent gave it, even if its agents hold more. */
  #checkCeiling(scope: string, resource: string, agent: string, stepKey: string): void {
    if (withinCeiling(this.#options.ceiling, { scope, resource })) return;
    throw new PermissionDeniedError({ agent, scope, resource, reason: "it is outside the grants this run was given by its parent run", runId: this.#options.runId, stepKey });
  }

  /** The money account first (its charge is the one attributed), then the standing caps. */
  async #levels(tx: Db, agent: GovernedAgent, moneyAccount: string): Promise<HoldLevel[]> {
    const levels: HoldLevel[] = [{ account: moneyAccount, level: moneyAccount.startsWith("call:") ? "call" : "run" }];
    const now = this.#options.now();
    for (const [period, cap] of [["day", agent.budget?.perDay], ["month", agent.budget?.perMonth]] as const) {
      if (cap === undefined) continue;
      const account = capAccount(agent.name, period, now);
      await ensureAccount(tx, { id: account, kind: "cap", name: `${agent.name} per ${period}`, agent: agent.name, initialBalance: cap, now });
      levels.push({ account, level: period === "day" ? "agent-day" : "agent-month" });
    }
    return levels;
  }

  /** Soft thresholds: the charge that crosses `warnAt` of a standing cap logs and audits a warning. */
  async #warnNearCaps(tx: Db, agent: GovernedAgent, charged: number): Promise<void> {
    const warnAt = agent.budget?.warnAt ?? 0.8;
    const now = this.#options.now();
    for (const [period, cap] of [["day", agent.budget?.perDay], ["month", agent.budget?.perMonth]] as const) {
      if (!cap) continue;
      const spent = await accountSpent(tx, capAccount(agent.name, period, now));
      const used = spent / cap;
      if (used >= warnAt && (spent - charged) / cap < warnAt) {
        this.#options.logger.warn(`agent ${agent.name} has used ${(used * 100).toFixed(0)}% of its ${period} cap`);
        await this.#audit(tx, [{ kind: "budget.warning", agent: agent.name, data: { period, capMicros: cap, spentMicros: spent } }]);
      }
    }
  }
}
