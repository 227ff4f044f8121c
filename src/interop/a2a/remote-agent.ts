import { z } from "zod";
import { defineAgent, type Agent } from "../../agent/define-agent.ts";
import type { BulkheadOptions, CircuitBreakerOptions } from "../../engine/agent-policies.ts";
import type { RetryOptions } from "../../engine/resilience.ts";
import { ConfigurationError } from "../../errors.ts";
import { defineTool } from "../../governance/define-tool.ts";
import type { AgentBudget } from "../../governance/gateway.ts";
import type { GrantSpec } from "../../governance/grants.ts";
import type { AgentInventory } from "../../governance/inventory.ts";
import type { HttpPayer } from "../http-payer.ts";
import { callRemoteAgent } from "./a2a-call.ts";
import { AgentCardCache, skillOn } from "./agent-card.ts";

export interface RemoteAgentOptions<I, O, In> extends AgentInventory {
  /** The local name: kebab-case, unique in the runtime (inventory, grants, budget and journal use it). */
  name: string;
  /** The remote agent's base URL; its card is at `<url>/.well-known/agent-card.json` (or give the card's URL itself). */
  url: string;
  /** The skill to call (checked against the card); default: the card's only skill. */
  skill?: string;
  input: z.ZodType<I, In>;
  output: z.ZodType<O>;
  /** Micro-units charged per call (what the remote's owner bills, or an internal transfer price). */
  price?: number;
  /** Pays a remote that answers 402 (x402): up to `maxMicros` per call, reserved with the price and settled as paid. */
  payment?: { payer: HttpPayer; maxMicros: number };
  /** The bearer secret sent to the remote (an operator key or agent credential of the remote Cadre); default: the env variable `CADRE_A2A_TOKEN_<NAME>`. */
  credential?: () => string | undefined | Promise<string | undefined>;
  /** Milliseconds before the call is aborted (STEP_TIMEOUT). */
  timeout?: number;
  retry?: RetryOptions;
  circuitBreaker?: CircuitBreakerOptions;
  bulkhead?: BulkheadOptions;
  budget?: AgentBudget;
  /** The agent's standing grants; default `[{ scope: "a2a:<name>" }]`. Revoke it (cadre grants) to stop the calls. */
  grants?: GrantSpec[];
}

/** The grant scope a remote agent's calls need: `a2a:<name>`. */
export const remoteAgentScope = (name: string) => `a2a:${name}`;

/** The environment variable a remote agent's credential is read from when no `credential` is given. */
export const remoteAgentCredentialEnv = (name: string) => `CADRE_A2A_TOKEN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

const callOutput = z.object({ output: z.unknown(), taskId: z.string().nullable(), paidMicros: z.number().int().min(0) });

/**
 * An agent that lives behind A2A, usable like a local one (`ctx.call`, `ctx.map`, handoffs,
 * plans). Each call is one governed tool call `a2a.<name>` inside the agent's step: it needs a
 * grant for `a2a:<name>` (declared by default), reserves `price` + `payment.maxMicros` and
 * settles `price` + what was paid, runs under the timeout and breaker, and is journaled: a
 * resumed run never calls again once the call completed, and a retried call sends the same
 * message id (derived from the step's idempotency key), which a Cadre server answers with the
 * task it already started.
 */
export function remoteAgent<I, O, In = I>(options: RemoteAgentOptions<I, O, In>): Agent<I, O, In> {
  const { name, url, skill, price = 0, payment, credential, timeout, retry, circuitBreaker, bulkhead, budget, grants, input, output, ...inventory } = options;
  if (!/^https?:$/.test(URL.parse(url)?.protocol ?? "")) {
    throw new ConfigurationError({ message: `Remote agent "${name}" has url ${JSON.stringify(url)}, which is not an absolute http(s) URL.`, fix: "Give the agent's base URL, e.g. https://host/a2a/credit-decision.", agent: name, field: "url" });
  }
  if (!Number.isSafeInteger(price) || price < 0) throw new ConfigurationError({ message: `Remote agent "${name}" has price ${price}: prices are whole micro-units ≥ 0.`, agent: name, field: "price" });
  if (payment && (!Number.isSafeInteger(payment.maxMicros) || payment.maxMicros < 0)) throw new ConfigurationError({ message: `Remote agent "${name}" has payment.maxMicros ${payment.maxMicros}: a whole number of micro-units ≥ 0.`, agent: name, field: "payment.maxMicros" });
  const cards = new AgentCardCache();
  const secret = async () => (credential ? await credential() : process.env[remoteAgentCredentialEnv(name)]);
  const call = defineTool({
    name: `a2a.${name}`,
    description: `Calls the remote A2A agent ${name} at ${url}${skill ? ` (skill ${skill})` : ""}.`,
    input: input as z.ZodType<I, In>,
    output: callOutput,
    scope: remoteAgentScope(name),
    resource: skill ?? name,
    // Before the call: the worst case (price and the most a payment may take); after it: the price and what was paid.
    price: (_input, result) => price + (result ? result.paidMicros : (payment?.maxMicros ?? 0)),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(circuitBreaker ? { circuitBreaker } : {}),
    ...(bulkhead ? { bulkhead } : {}),
    run: async (value, context) => {
      const card = await cards.get(url, { agent: name, signal: context.signal });
      const chosen = skillOn(card, skill, { agent: name, url });
      const session = payment?.payer.session({ maxMicros: payment.maxMicros, idempotencyKey: context.idempotencyKey, agent: context.agent, signal: context.signal });
      const bearer = await secret();
      const base = session?.fetch ?? fetch;
      const authorized: typeof fetch = (resource, init) => {
        const headers = new Headers(init?.headers);
        if (bearer) headers.set("authorization", `Bearer ${bearer}`);
        if (context.traceparent) headers.set("traceparent", context.traceparent);
        return base(resource, { ...init, headers });
      };
      const result = await callRemoteAgent({ agent: name, url, card, skill: chosen?.id, input: value, output, idempotencyKey: context.idempotencyKey, fetch: authorized, signal: context.signal });
      return { output: result.output, taskId: result.taskId, paidMicros: session?.paid() ?? 0 };
    },
  });
  return defineAgent<I, O, In>({
    ...inventory,
    name,
    input,
    output,
    tools: [call],
    grants: grants ?? [{ scope: remoteAgentScope(name) }],
    ...(retry ? { retry } : {}),
    ...(budget ? { budget } : {}),
    run: async (value, context) => (await context.tools.call(call, value as unknown as In)).output as O,
  });
}
