import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CadreError, defineAgent, defineWorkflow } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { deferred } from "../helpers/deferred.ts";

const number = z.object({ n: z.number() });

describe.each(await dialects())("durable execution on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("runs agents, journals every step and returns the validated output", async () => {
    const double = defineAgent({ name: "double", owner: "t", purpose: "t", input: number, output: number, run: ({ n }) => ({ n: n * 2 }) });
    const workflow = defineWorkflow({
      name: "chain",
      input: number,
      output: z.number(),
      goal: ({ n }) => `double ${n} twice`,
      run: async (input, ctx) => (await ctx.call(double, await ctx.call(double, input))).n,
    });
    const runtime = await open([double], [workflow]);
    const handle = await runtime.start(workflow, { n: 3 });
    expect(await handle.result()).toEqual({ runId: handle.runId, status: "completed", output: 12 });
    const steps = await runtime.getSteps(handle.runId);
    expect(steps.map((step) => [step.key, step.status, step.output])).toEqual([
      ["1:double", "completed", { n: 6 }],
      ["2:double", "completed", { n: 12 }],
    ]);
    const run = await runtime.getRun(handle.runId);
    expect(run).toMatchObject({ status: "completed", goal: "double 3 twice", output: 12, leaseOwner: null });
  });

  it("resumes a failed run without re-executing completed steps, re-running the failed one with the same idempotency key", async () => {
    const executions: string[] = [];
    const keys: string[] = [];
    let failOnce = true;
    const record = defineAgent({
      name: "record",
      owner: "t",
      purpose: "t",
      input: z.object({ label: z.string() }),
      output: z.string(),
      run: ({ label }, context) => {
        executions.push(label);
        if (label === "b") {
          keys.push(context.idempotencyKey);
          if (failOnce) throw new Error("downstream service unavailable");
        }
        return label.toUpperCase();
      },
    });
    const workflow = defineWorkflow({
      name: "abc",
      input: z.object({}),
      output: z.string(),
      run: async (_input, ctx) => {
        const a = await ctx.call(record, { label: "a" });
        const b = await ctx.call(record, { label: "b" });
        const c = await ctx.call(record, { label: "c" });
        return a + b + c;
      },
    });
    const runtime = await open([record], [workflow]);
    const first = await (await runtime.start(workflow, {})).result();
    expect(first.status).toBe("failed");
    expect(first.error).toMatchObject({ code: "STEP_FAILED", message: "downstream service unavailable", details: { stepKey: "2:record", agent: "record" } });
    expect(executions).toEqual(["a", "b"]);

    failOnce = false;
    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: "ABC" });
    expect(executions).toEqual(["a", "b", "b", "c"]);
    expect(keys[0]).toBe(keys[1]);
    const steps = await runtime.getSteps(first.runId);
    expect(steps.find((step) => step.key === "2:record")).toMatchObject({ attempt: 2, status: "completed" });
  });

  it("refuses to replay a journal the code no longer matches, naming both steps", async () => {
    const one = defineAgent({ name: "one", owner: "t", purpose: "t", input: z.object({}), output: z.number(), run: () => 1 });
    const two = defineAgent({ name: "two", owner: "t", purpose: "t", input: z.object({}), output: z.number(), run: () => 2 });
    let useTwo = false;
    let fail = true;
    const workflow = defineWorkflow({
      name: "drift",
      input: z.object({}),
      output: z.number(),
      run: async (_input, ctx) => {
        await ctx.call(useTwo ? two : one, {});
        return ctx.step("maybe-fail", () => {
          if (fail) throw new Error("boom");
          return 0;
        });
      },
    });
    const runtime = await open([one, two], [workflow]);
    const first = await (await runtime.start(workflow, {})).result();
    expect(first.status).toBe("failed");
    useTwo = true;
    fail = false;
    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed.status).toBe("failed");
    expect(resumed.error?.code).toBe("NON_DETERMINISM");
    expect(resumed.error?.message).toContain('agent "one"');
    expect(resumed.error?.message).toContain('agent "two"');
  });

  it("fails a step whose agent returns invalid output and never passes it downstream; retries per policy", async () => {
    let calls = 0;
    let downstream = 0;
    const sloppy = defineAgent({
      name: "sloppy",
      owner: "t",
      purpose: "t",
      input: z.object({}),
      output: z.object({ score: z.number().min(0).max(1) }),
      retry: { maxAttempts: 2, initialDelayMs: 1 },
      run: () => {
        calls += 1;
        return { score: 7 } as { score: number };
      },
    });
    const consumer = defineAgent({ name: "consumer", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (value) => ((downstream += 1), value) });
    const workflow = defineWorkflow({
      name: "validate",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => ctx.call(consumer, await ctx.call(sloppy, {})),
    });
    const runtime = await open([sloppy, consumer], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "INVALID_OUTPUT", fault: "validation" });
    expect(result.error?.message).toContain("score");
    expect(calls).toBe(2);
    expect(downstream).toBe(0);
    const steps = await runtime.getSteps(result.runId);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ attempt: 2, status: "failed" });
  });

  it("times out an agent that ignores its deadline and aborts its signal", async () => {
    let aborted = false;
    const stuck = defineAgent({
      name: "stuck",
      owner: "t",
      purpose: "t",
      input: z.object({}),
      output: z.object({}),
      timeout: 50,
      run: (_input, context) =>
        new Promise(() => {
          context.signal.addEventListener("abort", () => (aborted = true));
        }),
    });
    const workflow = defineWorkflow({ name: "slow", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(stuck, {}) });
    const runtime = await open([stuck], [workflow]);
    // The agent never settles: the run can only end through the timeout (else the test times out).
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.error).toMatchObject({ code: "STEP_TIMEOUT", details: { timeoutMs: 50, stepKey: "1:stuck" } });
    expect(aborted).toBe(true);
  });

  it("retries with backoff, each retry a new journaled attempt", async () => {
    let calls = 0;
    const flaky = defineAgent({
      name: "flaky",
      owner: "t",
      purpose: "t",
      input: z.object({}),
      output: z.number(),
      retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
      run: () => {
        calls += 1;
        if (calls < 3) throw new Error(`transient ${calls}`);
        return calls;
      },
    });
    const workflow = defineWorkflow({ name: "retrying", input: z.object({}), output: z.number(), run: (_input, ctx) => ctx.call(flaky, {}) });
    const runtime = await open([flaky], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result).toMatchObject({ status: "completed", output: 3 });
    expect((await runtime.getSteps(result.runId))[0]).toMatchObject({ attempt: 3, status: "completed" });
  });

  it("runs 10 agents at once, finishing in reverse order, with keys and results independent of finish order", async () => {
    // Each call waits until all 10 are in flight (a serial engine never gets there and gives up
    // after 10 s), then they finish in reverse order of their index.
    let inFlight = 0;
    let peak = 0;
    const finished: number[] = [];
    const everyoneStarted = deferred();
    // turns[i] resolves when call i has finished; call 9 goes first.
    const turns = Array.from({ length: 11 }, () => deferred());
    turns[10]!.resolve();
    const sleeper = defineAgent({
      name: "sleeper",
      owner: "t",
      purpose: "t",
      input: z.object({ index: z.number() }),
      output: z.number(),
      run: async ({ index }) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        if (inFlight === 10) everyoneStarted.resolve();
        await Promise.race([everyoneStarted.promise, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        await turns[index + 1]!.promise;
        finished.push(index);
        inFlight -= 1;
        turns[index]!.resolve();
        return index;
      },
    });
    const workflow = defineWorkflow({
      name: "fan-out",
      input: z.object({}),
      output: z.array(z.number()),
      run: (_input, ctx) => ctx.parallel(Array.from({ length: 10 }, (_, index) => (branch) => branch.call(sleeper, { index }))),
    });
    const runtime = await open([sleeper], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(peak).toBe(10);
    expect(finished).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(result.output).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const keys = (await runtime.getSteps(result.runId)).map((step) => step.key).sort();
    expect(keys).toEqual(Array.from({ length: 10 }, (_, index) => `1.${index}/1:sleeper`).sort());
  });

  it("keeps the cause of a failed effect in the error and the journal (fetch failed: connect ECONNREFUSED …)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const fetcher = defineAgent({ name: "fetcher", owner: "t", purpose: "t", input: z.object({}), output: z.any(), run: async (_input, context) => (await fetch(`http://127.0.0.1:${port}/`, { signal: context.signal })).json() });
    const workflow = defineWorkflow({ name: "fetching", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(fetcher, {}) });
    const runtime = await open([fetcher], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    const expected = `fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`;
    expect(result.error).toMatchObject({ code: "STEP_FAILED", message: expected, details: { causes: [{ code: "ECONNREFUSED", message: `connect ECONNREFUSED 127.0.0.1:${port}` }] } });
    const [step] = await runtime.getSteps(result.runId);
    expect(step?.error).toMatchObject({ code: "STEP_FAILED", message: expected });
  });

  it("rejects invalid workflow input before creating a run", async () => {
    const workflow = defineWorkflow({ name: "strict", input: z.object({ applicantId: z.string().regex(/^A-\d+$/) }), output: z.any(), run: async () => 1 });
    const runtime = await open([], [workflow]);
    const error = await runtime.start(workflow, { applicantId: 42 } as never).catch((thrown) => thrown);
    expect(CadreError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "INVALID_INPUT", fault: "input" });
    expect(error.message).toContain("applicantId");
    expect(await runtime.listRuns()).toHaveLength(0);
  });

  it("refuses an agent that is not registered, naming where to register it", async () => {
    const stray = defineAgent({ name: "stray", owner: "t", purpose: "t", input: z.object({}), output: z.any(), run: () => 1 });
    const workflow = defineWorkflow({ name: "uses-stray", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(stray, {}) });
    const runtime = await open([], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.error).toMatchObject({ code: "CONFIGURATION" });
    expect(result.error?.message).toContain("Runtime.open({ agents })");
  });

  it("journals ctx.step results so a resume does not redo them", async () => {
    let sideEffects = 0;
    let fail = true;
    const workflow = defineWorkflow({
      name: "steps",
      input: z.object({}),
      output: z.number(),
      run: async (_input, ctx) => {
        const value = await ctx.step("write-record", () => ++sideEffects);
        await ctx.step("check", () => {
          if (fail) throw new Error("not yet");
        });
        return value;
      },
    });
    const runtime = await open([], [workflow]);
    const first = await (await runtime.start(workflow, {})).result();
    fail = false;
    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: 1 });
    expect(sideEffects).toBe(1);
  });

  it("does not let a second process resume a run whose lease is live", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const waiter = defineAgent({ name: "waiter", owner: "t", purpose: "t", input: z.object({}), output: z.any(), run: () => gate.then(() => 1) });
    const workflow = defineWorkflow({ name: "leased", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(waiter, {}) });
    const owner = await open([waiter], [workflow], { leaseMs: 10_000 });
    const other = await open([waiter], [workflow]);
    const handle = await owner.start(workflow, {});
    const error = await other.resume(handle.runId).catch((thrown) => thrown);
    expect(error).toMatchObject({ code: "RUN_LEASED" });
    release();
    expect((await handle.result()).status).toBe("completed");
  });
});
