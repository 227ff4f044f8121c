import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, defineWorkflow, openOperator, remoteAgent, Runtime, usd } from "../../../src/index.ts";
import type { HttpPayer, PaymentLimits } from "../../../src/interop/http-payer.ts";
import { startSdkAgent } from "./sdk-agent.ts";

/** Pays a fixed amount when a resource answers 402: retries once with an `x-payment` header. What it was asked to do is kept. */
function fixedPayer(amount: number): HttpPayer & { sessions: PaymentLimits[] } {
  const sessions: PaymentLimits[] = [];
  return {
    sessions,
    session(limits) {
      sessions.push(limits);
      let paid = 0;
      const pay: typeof fetch = async (input, init) => {
        const first = await fetch(input, init);
        if (first.status !== 402) return first;
        if (amount > limits.maxMicros) return first;
        paid += amount;
        const headers = new Headers(init?.headers);
        headers.set("x-payment", `iou:${limits.idempotencyKey}:${amount}`);
        return fetch(input, { ...init, headers });
      };
      return { fetch: pay, paid: () => paid };
    },
  };
}

describe("remoteAgent: Cadre's client against an A2A agent built with the SDK", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("calls the skill named, as a governed, priced, journaled step with the credential", async () => {
    const remote = await startSdkAgent();
    closers.push(remote.close);
    const adder = remoteAgent({ name: "adder", owner: "tests", purpose: "Adds numbers remotely.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }), price: usd(0.01), credential: () => "secret-1" });
    const shouter = remoteAgent({ name: "shouter", owner: "tests", purpose: "Shouts remotely.", url: remote.url, skill: "shout", input: z.string(), output: z.string() });
    const sums = defineWorkflow({ name: "sums", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number(), loud: z.string() }), budget: { allocation: usd(1), perRun: usd(0.1) }, run: async (input, ctx) => ({ ...(await ctx.call(adder, input)), loud: await ctx.call(shouter, "hi") }) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [adder, shouter], workflows: [sums] });
    closers.push(() => runtime.close());
    const result = await (await runtime.start(sums, { a: 2, b: 3 })).result();
    expect(result).toMatchObject({ status: "completed", output: { sum: 5, loud: "HI" } });
    expect(remote.calls.map((call) => [call.skill, call.value, call.authorization])).toEqual([
      ["add", { a: 2, b: 3 }, "Bearer secret-1"],
      ["shout", "hi", undefined],
    ]);
    expect(remote.calls[0]!.messageId).toMatch(/^cadre-[0-9a-f]{32}$/);
    const operator = openOperator({ store: runtime.store });
    expect((await operator.runs.cost(result.runId)).spentMicros).toBe(usd(0.01));
    const steps = await runtime.getSteps(result.runId);
    expect(steps.filter((step) => step.type === "tool").map((step) => step.name)).toEqual(["a2a.adder", "a2a.shouter"]);
  });

  it("a skill the card does not offer, and a revoked grant, are refused before anything is sent", async () => {
    const remote = await startSdkAgent();
    closers.push(remote.close);
    const wrong = remoteAgent({ name: "wrong", owner: "tests", purpose: "Names a missing skill.", url: remote.url, skill: "divide", input: z.string(), output: z.string() });
    const unnamed = remoteAgent({ name: "unnamed", owner: "tests", purpose: "Names no skill.", url: remote.url, input: z.string(), output: z.string() });
    const once = defineWorkflow({ name: "once", input: z.object({ agent: z.string() }), output: z.any(), run: async ({ agent }, ctx) => ctx.call(agent === "wrong" ? wrong : unnamed, "x") });
    const runtime = await Runtime.open({ store: ":memory:", agents: [wrong, unnamed], workflows: [once] });
    closers.push(() => runtime.close());
    const missing = await (await runtime.start(once, { agent: "wrong" })).result();
    expect(missing.error).toMatchObject({ code: "REMOTE_AGENT_FAILED" });
    expect(missing.error?.message).toMatch(/does not offer.*add, shout/);
    const several = await (await runtime.start(once, { agent: "unnamed" })).result();
    expect(several.error?.message).toMatch(/several skills/);
    const operator = openOperator({ store: runtime.store });
    const grant = (await operator.grants.list("wrong")).find((each) => each.scope === "a2a:wrong")!;
    await operator.grants.revoke("wrong", grant.id);
    const denied = await (await runtime.start(once, { agent: "wrong" })).result();
    expect(denied.error).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(remote.calls).toEqual([]);
  });

  it("a failed remote task is a REMOTE_AGENT_FAILED with the remote's words, charged nothing", async () => {
    const remote = await startSdkAgent({ failWith: "out of paper" });
    closers.push(remote.close);
    const adder = remoteAgent({ name: "adder", owner: "tests", purpose: "Adds numbers remotely.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }), price: usd(0.01) });
    const sums = defineWorkflow({ name: "sums", input: z.object({ a: z.number(), b: z.number() }), output: z.any(), budget: { allocation: usd(1), perRun: usd(0.1) }, run: async (input, ctx) => ctx.call(adder, input) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [adder], workflows: [sums] });
    closers.push(() => runtime.close());
    const result = await (await runtime.start(sums, { a: 1, b: 1 })).result();
    expect(result.status).toBe("failed");
    expect(result.error?.message).toMatch(/TASK_STATE_FAILED: out of paper/);
    expect((await openOperator({ store: runtime.store }).runs.cost(result.runId)).spentMicros).toBe(0);
  });

  it("its breaker opens after repeated failures: the next call is refused without reaching the remote", async () => {
    const remote = await startSdkAgent({ failWith: "down for maintenance" });
    closers.push(remote.close);
    const adder = remoteAgent({ name: "adder", owner: "tests", purpose: "Adds numbers remotely.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }), circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 3_600_000 } });
    const sums = defineWorkflow({ name: "sums", input: z.object({ a: z.number(), b: z.number() }), output: z.any(), run: async (input, ctx) => ctx.call(adder, input) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [adder], workflows: [sums] });
    closers.push(() => runtime.close());
    const codes: unknown[] = [];
    for (let call = 0; call < 3; call += 1) codes.push((await (await runtime.start(sums, { a: call, b: 1 })).result()).error?.code);
    expect(codes).toEqual(["REMOTE_AGENT_FAILED", "REMOTE_AGENT_FAILED", "CIRCUIT_OPEN"]);
    expect(remote.calls).toHaveLength(2);
  });

  it("pays a 402 through the payer: the worst case reserves price + maxMicros, the charge is price + paid", async () => {
    const remote = await startSdkAgent({ price: 3000 });
    closers.push(remote.close);
    const payer = fixedPayer(3000);
    const adder = remoteAgent({ name: "adder", owner: "tests", purpose: "Adds numbers remotely.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }), price: 1000, payment: { payer, maxMicros: 5000 } });
    const sums = defineWorkflow({ name: "sums", input: z.object({ a: z.number(), b: z.number() }), output: z.any(), budget: { allocation: usd(1), perRun: 6000 }, run: async (input, ctx) => ctx.call(adder, input) });
    const poor = defineWorkflow({ name: "poor", input: z.object({ a: z.number(), b: z.number() }), output: z.any(), budget: { allocation: usd(1), perRun: 5999 }, run: async (input, ctx) => ctx.call(adder, input) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [adder], workflows: [sums, poor] });
    closers.push(() => runtime.close());
    const result = await (await runtime.start(sums, { a: 4, b: 5 })).result();
    expect(result).toMatchObject({ status: "completed", output: { sum: 9 } });
    expect(payer.sessions).toEqual([expect.objectContaining({ maxMicros: 5000, agent: "adder" })]);
    expect((await openOperator({ store: runtime.store }).runs.cost(result.runId)).spentMicros).toBe(4000);
    // 1000 + 5000 reserved up front: a run given less is refused before anything is paid.
    const refused = await (await runtime.start(poor, { a: 1, b: 1 })).result();
    expect(refused.error).toMatchObject({ code: "BUDGET_EXCEEDED" });
    expect(payer.sessions.length).toBe(1);
  });

  it("works in ctx.map like a local agent; the card is fetched once per agent; a remote that never answers times out", { timeout: 60_000 }, async () => {
    const remote = await startSdkAgent({ hangFirst: true });
    closers.push(remote.close);
    const hasty = remoteAgent({ name: "hasty", owner: "tests", purpose: "Adds numbers remotely, or gives up.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }), timeout: 1_000 });
    const adder = remoteAgent({ name: "adder", owner: "tests", purpose: "Adds numbers remotely.", url: remote.url, skill: "add", input: z.object({ a: z.number(), b: z.number() }), output: z.object({ sum: z.number() }) });
    const first = defineWorkflow({ name: "first", input: z.object({}), output: z.any(), run: async (_input, ctx) => ctx.call(hasty, { a: 0, b: 0 }) });
    const many = defineWorkflow({ name: "many", input: z.array(z.number()), output: z.array(z.number()), run: async (values, ctx) => (await ctx.map(values.map((a) => ({ a, b: 1 })), adder)).map((answer) => answer.sum) });
    const runtime = await Runtime.open({ store: ":memory:", agents: [hasty, adder], workflows: [first, many] });
    closers.push(() => runtime.close());
    // The remote's first call never answers: the call is aborted at its timeout.
    const timedOut = await (await runtime.start(first, {})).result();
    expect(timedOut.error).toMatchObject({ code: "STEP_TIMEOUT" });
    const mapped = await (await runtime.start(many, [1, 2, 3])).result();
    expect(mapped).toMatchObject({ status: "completed", output: [2, 3, 4] });
    expect(remote.calls).toHaveLength(4);
    // Once per agent definition, not per call.
    expect(remote.cardFetches()).toBe(2);
  });

  it("refuses a URL that is not absolute when the agent is defined", () => {
    const error = (() => {
      try {
        remoteAgent({ name: "bad", owner: "tests", purpose: "x", url: "localhost:1", input: z.string(), output: z.string() });
      } catch (caught) {
        return caught;
      }
    })();
    expect(CadreError.is(error) && error.code).toBe("CONFIGURATION");
  });
});
