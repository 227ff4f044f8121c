import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanError, defineAgent, defineWorkflow, type Agent, type PlanTask } from "../../src/index.ts";
import { validatePlan } from "../../src/internal.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

const worker = defineAgent({ name: "worker", owner: "tests", purpose: "does a task", input: z.any(), output: z.any(), run: (input) => input });
const agents: ReadonlyMap<string, Agent> = new Map([["worker", worker]]);
const task = (id: string, dependsOn: string[] = []): PlanTask => ({ id, agent: "worker", dependsOn });

/** The error `validatePlan` throws, synchronously; fails the test if it throws none. */
function planError(tasks: PlanTask[]): PlanError {
  try {
    validatePlan(tasks, agents);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return error as PlanError;
  }
  throw new Error("validatePlan accepted a plan with a cycle");
}

/** A named cycle is closed, and each task in it depends on the one named before it. */
function expectClosedCycle(cycle: string[], tasks: PlanTask[]): void {
  expect(cycle.length).toBeGreaterThanOrEqual(2);
  expect(cycle.at(-1)).toBe(cycle[0]);
  const byId = new Map(tasks.map((each) => [each.id, each]));
  for (let index = 1; index < cycle.length; index += 1) expect(byId.get(cycle[index]!)?.dependsOn).toContain(cycle[index - 1]);
}

describe("plan validation names a dependency cycle", () => {
  it("a task that depends on itself", () => {
    const error = planError([task("a", ["a"])]);
    expect(error.code).toBe("PLAN_INVALID");
    expect(error.details).toEqual({ cycle: ["a", "a"] });
    expect(error.message).toBe("Plan has a dependency cycle: a → a. No task in it could ever start.");
  });

  it("a cycle reached from a task outside it names only the tasks in the cycle", () => {
    const tasks = [task("root", ["a"]), task("a", ["b"]), task("b", ["c"]), task("c", ["a"]), task("free")];
    const error = planError(tasks);
    const { cycle } = error.details as { cycle: string[] };
    expect(new Set(cycle)).toEqual(new Set(["a", "b", "c"]));
    expectClosedCycle(cycle, tasks);
    expect(error.message).toContain(`Plan has a dependency cycle: ${cycle.join(" → ")}.`);
  });

  it("a cycle among later tasks is found after acyclic ones", () => {
    const tasks = [task("gather"), task("draft", ["gather", "review"]), task("review", ["draft"])];
    const { cycle } = planError(tasks).details as { cycle: string[] };
    expect(new Set(cycle)).toEqual(new Set(["draft", "review"]));
    expectClosedCycle(cycle, tasks);
  });

  it("a diamond, and tasks listed before their dependencies, are not cycles", () => {
    expect(() => validatePlan([task("join", ["left", "right"]), task("left", ["source"]), task("right", ["source"]), task("source")], agents)).not.toThrow();
  });
});

describe.each(await dialects())("a cyclic plan fails at once on %s", (dialect) => {
  const open = runtimeFixture(dialect);

  it("ctx.plan rejects with PLAN_INVALID before the event loop turns, and no agent runs", async () => {
    let calls = 0;
    const counted = defineAgent({ ...worker, run: (input) => ((calls += 1), input) });
    const workflow = defineWorkflow({
      name: "cyclic",
      input: z.any(),
      output: z.any(),
      run: async (_input, ctx) => {
        const planned = ctx.plan([task("a", ["c"]), task("b", ["a"]), task("c", ["b"])]).then(
          () => ({ outcome: "ran" }),
          (error: PlanError) => ({ outcome: "rejected", code: error.code, details: error.details }),
        );
        // Validation is synchronous: a plan still pending one macrotask later would be waiting on itself for ever.
        const stillPending = new Promise((resolve) => setImmediate(() => resolve({ outcome: "still pending" })));
        return Promise.race([planned, stillPending]);
      },
    });
    const runtime = await open([counted], [workflow]);
    const result = await (await runtime.start(workflow, {})).result();
    expect(result.output).toMatchObject({ outcome: "rejected", code: "PLAN_INVALID" });
    const { cycle } = (result.output as { details: { cycle: string[] } }).details;
    expect(new Set(cycle)).toEqual(new Set(["a", "b", "c"]));
    expect(calls).toBe(0);
    expect((await runtime.getSteps(result.runId)).filter((step) => step.type === "agent")).toEqual([]);
  });
});
