import type { Guard } from "../../engine/agent-policies.ts";
import type { RetryOptions } from "../../engine/resilience.ts";
import { idempotencyKeyFor } from "../../engine/ids.ts";
import type { ObservedStep, StepObservation } from "../../engine/run-observer.ts";
import { RunSuspended } from "../../engine/run-suspended.ts";
import { runStep, type AttemptContext, type StepHooks } from "../../engine/run-step.ts";
import { CadreError, toCadreError } from "../../errors.ts";
import type { Scope } from "../../engine/scope.ts";
import type { GovernedEffect } from "../../governance/gateway.ts";
import type { StepType } from "../../store/schema.ts";
import type { RunState } from "../run-state.ts";
import { parkOnPolicyApproval, recordedPolicyApproval } from "./policy-approval.ts";

/** Where an effect runs: the run's services, the scope that numbers its step, the signal that cancels it. */
export interface EffectSite {
  state: RunState;
  scope: Scope;
  signal: AbortSignal;
  /** Set while the run parks: no new effect starts. Absent inside an agent's own delegations, which finish. */
  parked?: () => Error | undefined;
}

/** The step an effect was given: its position in the journal and its key. */
export interface EffectStep {
  position: string;
  key: string;
  /** The W3C traceparent of the step's span when the run is traced: tools send it on their HTTP requests. */
  traceparent?: string | undefined;
}

/**
 * One kind of governed effect, declared once: what it is (type, name, input), what
 * governance must know (the agent, its permission, its price, the account that pays: see
 * GovernedEffect), how it is protected (guard, timeout, retry) and how it runs.
 */
export interface Effect<O> extends GovernedEffect {
  type: StepType;
  /** The label in the step key (default: the name), e.g. `workflow:triage`. */
  label?: string;
  /** What is journaled as the step's input (JSON), or a function of the step it was given. */
  input: unknown;
  /** The agent's or tool's breaker and bulkhead. */
  guard?: Guard | undefined;
  /** Milliseconds, or a lookup (an adaptive timeout from the journaled p95). */
  timeoutMs?: number | (() => Promise<number | undefined>) | undefined;
  retry?: RetryOptions | undefined;
  execute(attempt: AttemptContext, step: EffectStep): Promise<O>;
}

/**
 * Runs any effect the same way. The lifecycle of one attempt:
 *   1. the journal: a completed step returns its recorded output, nothing runs or is paid again;
 *   2. the guard: an open breaker or a full bulkhead refuses before anything durable (a denial record, no hold);
 *   3. one transaction: the journal's `started`, authentication, authorization (grants), the policy decision,
 *      the hold at every level, the audit. A policy's forbid refuses here with nothing held; a policy asking for
 *      approval refuses this attempt and parks the run on an approval naming the policy (see policy-approval.ts);
 *   4. the effect, under its timeout, with the attempt's idempotency key;
 *   5. written behind: the outcome, the settlement of the actual cost and the audit.
 * Retries repeat 2–5 with the same idempotency key.
 */
export async function runEffect<O>(site: EffectSite, effect: Effect<O>): Promise<O> {
  const { state } = site;
  // Allocated before anything asynchronous: keys follow the order of the calls, not of their completion.
  const step = site.scope.next(effect.label ?? effect.name);
  const timeoutMs = typeof effect.timeoutMs === "function" ? await effect.timeoutMs() : effect.timeoutMs;
  const guard = effect.guard;
  // A person's answer to a policy's approval request, when an earlier attempt asked for one.
  const approval = effect.policy && state.gateway.policyVersion !== undefined ? recordedPolicyApproval(site, step) : undefined;
  const hooks = state.gateway.hooks(effect, step.key, approval);
  // A policy asking for approval refused this attempt: the run parks on an approval naming the policy.
  const parkIfAsked = (error: unknown): Promise<never> => {
    if (CadreError.is(error) && error.code === "POLICY_APPROVAL_REQUIRED" && approval === undefined) return parkOnPolicyApproval(site, step, error);
    throw error;
  };
  const run = (observed?: StepObservation) =>
    runStep(
      { runId: state.runId, journal: state.journal, events: state.events, signal: site.signal, now: state.now, parked: site.parked, replay: state.replay },
      {
        ...step,
        name: effect.name,
        type: effect.type,
        agent: effect.agent?.name ?? null,
        input: typeof effect.input === "function" ? (effect.input as (step: EffectStep) => unknown)(step) : effect.input,
        timeoutMs,
        retry: effect.retry,
        hooks: observed && hooks ? observedHooks(hooks, observed) : hooks,
        guard: guard ? (work, attempt) => guard.run(work, attempt) : undefined,
        execute: (attempt) => effect.execute(attempt, observed?.traceparent ? { ...step, traceparent: observed.traceparent } : step),
      },
    );
  const observation = state.observation;
  const previous = state.journal.at(step.position);
  // A step replayed from the journal did nothing this time: it is not observed.
  if (!observation || previous?.status === "completed") return run().catch(parkIfAsked);
  const observed: ObservedStep = {
    key: step.key,
    name: effect.name,
    type: effect.type,
    agent: effect.agent?.name ?? null,
    attempt: (previous?.attempt ?? 0) + 1,
    idempotencyKey: previous?.idempotencyKey ?? idempotencyKeyFor(state.runId, step.key),
    subject: effect.price?.subject,
    settles: hooks?.ended !== undefined,
  };
  const observedRun = observation.step(observed, async (stepObservation) => {
    try {
      const output = await run(stepObservation);
      stepObservation.ended({ status: "completed" });
      return output;
    } catch (error) {
      stepObservation.ended(RunSuspended.is(error) ? { status: "waiting" } : { status: "failed", error: toCadreError(error).toJSON() });
      throw error;
    }
  });
  return observedRun.catch(parkIfAsked);
}

/** The gateway's hooks, telling the observer when each attempt begins. */
function observedHooks(hooks: StepHooks, observed: StepObservation): StepHooks {
  const started = hooks.started;
  if (!started) return hooks;
  return {
    ...hooks,
    started: async (tx, attempt) => {
      await started(tx, attempt);
      observed.attempt(attempt.attempt);
    },
  };
}
