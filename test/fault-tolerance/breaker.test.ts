import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, readBreakerStates, type Agent } from "../../src/index.ts";
import { deferred } from "../helpers/deferred.ts";
import { dialects } from "../helpers/stores.ts";
import { auditKinds } from "../governance/fixtures.ts";
import { callsOf, runtimeFixture, sleep } from "./helpers.ts";

/** An agent whose n-th execution does what `script(n)` says: throw, or return. */
function scripted(name: string, circuitBreaker: Agent["circuitBreaker"], script: (execution: number) => Promise<void> | void, extra: Partial<Agent> = {}) {
  const counter = { calls: 0 };
  const agent = defineAgent({
    name,
    owner: "tests",
    purpose: "scripted failures",
    circuitBreaker,
    ...extra,
    input: z.object({}),
    output: z.string(),
    run: async () => {
      counter.calls += 1;
      await script(counter.calls);
      return "fine";
    },
  });
  return { agent, counter };
}

const down = () => {
  throw new Error("upstream down");
};

/**
 * The clock the breakers read (`Date.now`, through cockatiel), moved forward on demand: a test
 * jumps past `halfOpenAfterMs` instead of sleeping past it, so an open circuit stays open for
 * as long as a slow machine needs, and reopens exactly when the test says.
 */
function breakerClock() {
  const realNow = Date.now;
  let skew = 0;
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + skew);
  return { advance: (ms: number) => void (skew += ms) };
}

const halfOpenAfterMs = 60_000;

describe.each(await dialects())("circuit breakers on %s", (dialect) => {
  const open = runtimeFixture(dialect);
  afterEach(() => void vi.restoreAllMocks());

  it("opens after its threshold, fails fast without calling the agent, probes after its delay and closes on success", async () => {
    const clock = breakerClock();
    let failing = true;
    const { agent, counter } = scripted("fragile", { consecutiveFailures: 3, halfOpenAfterMs }, () => (failing ? down() : undefined));
    const workflow = callsOf(agent);
    const runtime = await open([agent], [workflow]);
    const broken = await (await runtime.start(workflow, { times: 5 })).result();
    expect(broken.output).toEqual(["STEP_FAILED", "STEP_FAILED", "STEP_FAILED", "CIRCUIT_OPEN", "CIRCUIT_OPEN"]);
    expect(counter.calls).toBe(3);
    // Fail-fast attempts are journaled as failed attempts of their steps, with what to do about it.
    const steps = await runtime.getSteps(broken.runId);
    expect(steps[3]).toMatchObject({ status: "failed", durationMs: expect.any(Number), error: { code: "CIRCUIT_OPEN", retryable: true, details: { name: "agent:fragile", halfOpenAfterMs, stepKey: "4:fragile", runId: broken.runId } } });
    await runtime.store.flush();
    // Refused before anything was started or held: a denial record each, no step.start.
    const records = await auditKinds(runtime.store, broken.runId);
    expect(records.filter((record) => record.kind === "gateway.deny").map((record) => record.data.code)).toEqual(["CIRCUIT_OPEN", "CIRCUIT_OPEN"]);
    expect(records.filter((record) => record.kind === "step.start")).toHaveLength(3);
    expect((await readBreakerStates(runtime.store)).get("agent:fragile")).toMatchObject({ name: "agent:fragile", state: "open", changedAt: expect.any(Number) });

    // Breakers are shared by every run of the runtime: a new run still fails fast.
    expect((await (await runtime.start(workflow, { times: 1 })).result()).output).toEqual(["CIRCUIT_OPEN"]);
    expect(counter.calls).toBe(3);

    clock.advance(halfOpenAfterMs + 1);
    failing = false;
    const healed = await (await runtime.start(workflow, { times: 3 })).result();
    expect(healed.output).toEqual(["ok", "ok", "ok"]);
    expect(counter.calls).toBe(6);
    await runtime.store.flush();
    expect((await readBreakerStates(runtime.store)).get("agent:fragile")?.state).toBe("closed");
  });

  it("half-open lets exactly the configured number of probes through; the others wait for the verdict", async () => {
    const clock = breakerClock();
    // The probes hold until both are in flight (giving up after 10 s if only one gets through),
    // then linger so that a third call let through would overlap them.
    const events: string[] = [];
    let running = 0;
    const bothProbing = deferred();
    let failing = true;
    const { agent } = scripted("probed", { consecutiveFailures: 1, halfOpenAfterMs, halfOpenProbes: 2 }, async () => {
      if (failing) down();
      running += 1;
      events.push(`start ${running}`);
      if (running === 2) bothProbing.resolve();
      await Promise.race([bothProbing.promise, sleep(10_000)]);
      await sleep(50);
      events.push("end");
      running -= 1;
    });
    const workflow = callsOf(agent);
    const runtime = await open([agent], [workflow]);
    await (await runtime.start(workflow, { times: 1 })).result();
    clock.advance(halfOpenAfterMs + 1);
    failing = false;
    const result = await (await runtime.start(workflow, { times: 5, concurrent: true })).result();
    expect(result.output).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    // Two probes at once, then nothing else until a probe ended.
    expect(events.slice(0, 3)).toEqual(["start 1", "start 2", "end"]);
    expect(events.filter((event) => event.startsWith("start"))).toHaveLength(5);
  });

  it("a failed probe opens the circuit again", async () => {
    const clock = breakerClock();
    const { agent, counter } = scripted("still-down", { consecutiveFailures: 1, halfOpenAfterMs }, down);
    const workflow = callsOf(agent);
    const runtime = await open([agent], [workflow]);
    expect((await (await runtime.start(workflow, { times: 2 })).result()).output).toEqual(["STEP_FAILED", "CIRCUIT_OPEN"]);
    clock.advance(halfOpenAfterMs + 1);
    expect((await (await runtime.start(workflow, { times: 2 })).result()).output).toEqual(["STEP_FAILED", "CIRCUIT_OPEN"]);
    expect(counter.calls).toBe(2);
  });

  it("a sampling breaker opens when the failure rate over its window passes the threshold", async () => {
    // ok, fail, ok, fail, fail: never 3 failures in a row, but 3 of 5 (> 50%) with enough traffic.
    const { agent, counter } = scripted("sampled", { sampling: { threshold: 0.5, windowMs: 10_000, minimumRps: 0.4 }, halfOpenAfterMs: 10_000 }, (execution) => ([2, 4, 5].includes(execution) ? down() : undefined));
    const workflow = callsOf(agent);
    const runtime = await open([agent], [workflow]);
    expect((await (await runtime.start(workflow, { times: 6 })).result()).output).toEqual(["ok", "STEP_FAILED", "ok", "STEP_FAILED", "STEP_FAILED", "CIRCUIT_OPEN"]);
    expect(counter.calls).toBe(5);
  });

  it("cancelled calls and the caller's bad input do not count against the agent", async () => {
    const { agent: shared, counter } = scripted("shared", { consecutiveFailures: 1, halfOpenAfterMs: 60_000 }, async () => void (await sleep(100)));
    const failFast = defineAgent({ name: "fail-fast", owner: "tests", purpose: "fails at once", input: z.object({}), output: z.string(), run: down });
    const strict = defineAgent({ name: "strict", owner: "tests", purpose: "wants a number", circuitBreaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 }, input: z.object({ n: z.number() }), output: z.number(), run: ({ n }) => n });
    const workflow = defineWorkflow({
      name: "doomed-join",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        // The first failure cancels the three calls of `shared` still running.
        const join = await ctx.parallel([(b) => b.call(failFast, {}), (b) => b.call(shared, {}), (b) => b.call(shared, {}), (b) => b.call(shared, {})]).catch((error: { code: string }) => error.code);
        const bad = [];
        for (let i = 0; i < 2; i += 1) bad.push(await ctx.call(strict, { n: "not a number" } as never).catch((error: { code: string }) => error.code));
        return { join, bad, after: await ctx.call(shared, {}) };
      },
    });
    const runtime = await open([shared, failFast, strict], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.output).toEqual({ join: "PARALLEL_FAILED", bad: ["INVALID_INPUT", "INVALID_INPUT"], after: "fine" });
    expect(counter.calls).toBeGreaterThan(1);
  });

  it("CIRCUIT_OPEN is retryable: a retrying call gets through once the breaker probes again", async () => {
    const clock = breakerClock();
    const { agent, counter } = scripted("recovers", { consecutiveFailures: 1, halfOpenAfterMs }, (execution) => (execution === 1 ? down() : undefined), {
      retry: { maxAttempts: 30, initialDelayMs: 5, maxDelayMs: 5 },
    });
    const workflow = callsOf(agent);
    const runtime = await open([agent], [workflow]);
    // The breaker's delay passes only after a retry has failed fast on the open circuit.
    let failedFast = 0;
    runtime.on("step-end", (event) => {
      if (event.error?.code === "CIRCUIT_OPEN" && ++failedFast === 2) clock.advance(halfOpenAfterMs + 1);
    });
    const result = await (await runtime.start(workflow, { times: 1 })).result();
    expect(result.output).toEqual(["ok"]);
    expect(counter.calls).toBe(2);
    const attempts = await runtime.store.db.selectFrom("steps").select(["attempt", "status", "error"]).where("run_id", "=", result.runId).orderBy("attempt").execute();
    const codes = attempts.map((attempt) => (attempt.error ? JSON.parse(attempt.error).code : attempt.status));
    expect(codes[0]).toBe("STEP_FAILED");
    expect(codes.slice(1, -1).length).toBeGreaterThan(0);
    expect(new Set(codes.slice(1, -1))).toEqual(new Set(["CIRCUIT_OPEN"]));
    expect(codes.at(-1)).toBe("completed");
  });

  it("a tool has its own breaker, keyed tool:<name>, shared by every agent that calls it", async () => {
    let toolCalls = 0;
    const lookup = defineTool({
      name: "lookup",
      description: "a failing lookup",
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
      input: z.object({}),
      output: z.string(),
      run: () => {
        toolCalls += 1;
        throw new Error("lookup down");
      },
    });
    const caller = defineAgent({
      name: "caller",
      owner: "tests",
      purpose: "calls the tool four times",
      tools: [lookup],
      grants: [{ scope: lookup.scope }],
      input: z.object({}),
      output: z.array(z.string()),
      run: async (_input, context) => {
        const codes: string[] = [];
        for (let i = 0; i < 4; i += 1) codes.push(await context.tools.call(lookup, {}).then(() => "ok", (error: { code: string }) => error.code));
        return codes;
      },
    });
    const workflow = defineWorkflow({ name: "tooling", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(caller, {}) });
    const runtime = await open([caller], [workflow]);
    expect((await (await runtime.start(workflow, {})).result()).output).toEqual(["STEP_FAILED", "STEP_FAILED", "CIRCUIT_OPEN", "CIRCUIT_OPEN"]);
    expect(toolCalls).toBe(2);
    await runtime.store.flush();
    const states = await readBreakerStates(runtime.store);
    expect(states.get("tool:lookup")?.state).toBe("open");
    expect(states.has("agent:caller")).toBe(false);
  });

  it("a call refused for lack of a grant is never the breaker's probe: the next real call probes, fails and reopens it", async () => {
    const clock = breakerClock();
    let toolCalls = 0;
    const reader = defineTool({
      name: "reader",
      description: "a failing read of a named file",
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs },
      input: z.object({ file: z.string() }),
      output: z.string(),
      resource: ({ file }) => file,
      run: () => {
        toolCalls += 1;
        throw new Error("disk down");
      },
    });
    const caller = defineAgent({
      name: "file-caller",
      owner: "tests",
      purpose: "reads allowed and forbidden files",
      tools: [reader],
      grants: [{ scope: reader.scope, resource: "public/*" }],
      input: z.object({}),
      output: z.array(z.string()),
      run: async (_input, context) => {
        const read = (file: string) => context.tools.call(reader, { file }).then(() => "ok", (error: { code: string }) => error.code);
        const codes = [await read("public/a"), await read("public/b")];
        clock.advance(halfOpenAfterMs + 1);
        // Refused by the gateway (the caller's fault): it must not pass as a healthy probe and close the breaker.
        for (const file of ["secret/x", "public/c", "public/d"]) codes.push(await read(file));
        return codes;
      },
    });
    const workflow = defineWorkflow({ name: "reading", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(caller, {}) });
    const runtime = await open([caller], [workflow]);
    expect((await (await runtime.start(workflow, {})).result()).output).toEqual(["STEP_FAILED", "STEP_FAILED", "PERMISSION_DENIED", "STEP_FAILED", "CIRCUIT_OPEN"]);
    expect(toolCalls).toBe(3);
  });
});

describe("resilience settings", () => {
  it("are checked when the agent is defined, naming the agent and every bad field", () => {
    const define = () =>
      defineAgent({
        name: "misconfigured",
        owner: "tests",
        purpose: "bad settings",
        circuitBreaker: { consecutiveFailures: 0, sampling: { threshold: 1.5, windowMs: 1_000 }, halfOpenAfterMs: -1 },
        bulkhead: { maxConcurrency: 0 },
        timeout: { p95: true, min: 500, max: 100, fallback: 0 },
        input: z.object({}),
        output: z.string(),
        run: () => "never",
      });
    expect(define).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ subject: 'Agent "misconfigured"' }) }));
    try {
      define();
    } catch (error) {
      expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(7);
    }
  });

  it("refuse a retry without attempts and a negative timeout, naming the agent or tool and the field", () => {
    const base = { owner: "tests", purpose: "bad settings", input: z.object({}), output: z.string(), run: () => "never" };
    expect(() => defineAgent({ ...base, name: "no-attempts", retry: { maxAttempts: 0 } })).toThrow(
      expect.objectContaining({ name: "ConfigurationError", code: "CONFIGURATION", message: expect.stringContaining('Agent "no-attempts"'), details: expect.objectContaining({ problems: [expect.stringContaining("retry.maxAttempts")] }) }),
    );
    expect(() => defineAgent({ ...base, name: "negative-timeout", timeout: -5 })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ subject: 'Agent "negative-timeout"', problems: [expect.stringContaining("timeout")] }) }));
    expect(() => defineTool({ name: "negative-tool", description: "t", input: z.object({}), output: z.string(), timeout: -5, run: () => "never" })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ subject: 'Tool "negative-tool"', problems: [expect.stringContaining("timeout")] }) }),
    );
    expect(() => defineAgent({ ...base, name: "one-attempt", retry: { maxAttempts: 1 }, timeout: 5 })).not.toThrow();
  });
});
