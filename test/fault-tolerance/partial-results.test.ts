import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { runtimeFixture } from "./helpers.ts";

const maybe = defineAgent({
  name: "maybe",
  owner: "tests",
  purpose: "fails for odd inputs",
  input: z.object({ n: z.number() }),
  output: z.number(),
  run: ({ n }) => {
    if (n % 2 === 1) throw new Error(`odd ${n}`);
    return n;
  },
});

describe.each(await dialects())("partial results on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("map with minSuccess returns partial results with typed failures and the run ends partial; below it the join fails", async () => {
    const fanOut = defineWorkflow({
      name: "fan-out",
      input: z.object({ minSuccess: z.number(), items: z.array(z.number()).default([0, 1, 2, 3, 4]) }),
      output: z.any(),
      run: async ({ minSuccess, items }, ctx) => {
        const joined = await ctx.map(items.map((n) => ({ n })), maybe, { minSuccess });
        return { values: joined.values, failed: joined.failures.map((failure) => [failure.index, failure.error.code]) };
      },
    });
    const runtime = await open([maybe], [fanOut]);
    const partial = await (await runtime.start(fanOut, { minSuccess: 3 })).result();
    expect(partial).toMatchObject({ status: "partial", output: { values: [0, 2, 4], failed: [[1, "STEP_FAILED"], [3, "STEP_FAILED"]] } });
    expect(await runtime.getRun(partial.runId)).toMatchObject({ status: "partial" });

    const failed = await (await runtime.start(fanOut, { minSuccess: 4 })).result();
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "PARALLEL_FAILED", details: { succeeded: 3, required: 4, total: 5 } });
    expect((failed.error?.details.failures as Array<{ index: number; error: { code: string } }>).map((failure) => failure.index).sort()).toEqual([1, 3]);

    // Every branch succeeded: nothing is partial.
    expect(await (await runtime.start(fanOut, { minSuccess: 1, items: [0, 2] })).result()).toMatchObject({ status: "completed", output: { values: [0, 2], failed: [] } });
  });

  it("parallel with minSuccess returns one typed result per branch, in branch order", async () => {
    const workflow = defineWorkflow({
      name: "tuple",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        const joined = await ctx.parallel([(b) => b.call(maybe, { n: 2 }), (b) => b.step("boom", () => Promise.reject(new Error("boom"))), (b) => b.step("label", () => "text")], { minSuccess: 2 });
        const [number, boom, label] = joined.results;
        // The tuple is typed per branch: number.value is a number, label.value a string.
        return {
          number: number.ok ? number.value + 1 : null,
          boom: boom.ok ? null : { code: boom.error.code, message: boom.error.message },
          label: label.ok ? label.value.toUpperCase() : null,
          failures: joined.failures.map((failure) => failure.index),
        };
      },
    });
    const runtime = await open([maybe], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result).toMatchObject({ status: "partial", output: { number: 3, boom: { code: "STEP_FAILED", message: "boom" }, label: "TEXT", failures: [1] } });
  });

  it("cancels the branches still running as soon as the join can no longer succeed", async () => {
    const workflow = defineWorkflow({
      name: "doomed",
      input: z.object({}),
      output: z.any(),
      run: (_input, ctx) =>
        ctx.parallel(
          [
            (b) => b.step("fails", () => Promise.reject(new Error("no"))),
            // Never settles on its own: the join must cancel it, or the run never ends (test timeout).
            (b) => b.step("slow", () => new Promise(() => {})),
            (b) => b.step("fine", () => "fine"),
          ],
          { minSuccess: 3 },
        ),
    });
    const runtime = await open([], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.error).toMatchObject({ code: "PARALLEL_FAILED", details: { required: 3 } });
    const slow = (await runtime.getSteps(result.runId)).find((step) => step.name === "slow");
    expect(slow).toMatchObject({ status: "failed", error: { code: "ABORTED" } });
  });

  it("refuses a minSuccess larger than the number of branches", async () => {
    const workflow = defineWorkflow({ name: "impossible", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.parallel([(b) => b.step("one", () => 1)], { minSuccess: 2 }) });
    const runtime = await open([], [workflow]);
    expect((await (await runtime.start(workflow, {})).result()).error).toMatchObject({ code: "CONFIGURATION", details: { total: 1, required: 2 } });
  });
});
