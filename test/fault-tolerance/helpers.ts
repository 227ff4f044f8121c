import { afterEach } from "vitest";
import { z } from "zod";
import { Runtime, defineWorkflow, type Agent, type RuntimeOptions, type Workflow, type WorkflowContext } from "../../src/index.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A runtime on a fresh store of `dialect` per test, closed and cleaned up after it. Call
 * inside a `describe`.
 */
export function runtimeFixture(dialect: "sqlite" | "postgres") {
  let location: TestStoreLocation | undefined;
  const runtimes: Runtime[] = [];
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await location?.cleanup();
    location = undefined;
  });
  return async (agents: Agent[], workflows: Workflow[], options: Omit<RuntimeOptions, "store" | "agents" | "workflows"> = {}) => {
    location ??= await freshStoreLocation(dialect);
    const runtime = await Runtime.open({ ...options, store: location.location, agents, workflows });
    runtimes.push(runtime);
    return runtime;
  };
}

/**
 * A workflow that calls `agent` `times` times (in sequence, or concurrently in a parallel)
 * and returns "ok" or the error code of each call.
 */
export function callsOf(agent: Agent, name = "calls") {
  return defineWorkflow({
    name,
    input: z.object({ times: z.number(), concurrent: z.boolean().default(false) }),
    output: z.array(z.string()),
    run: async ({ times, concurrent }, ctx) => {
      const one = (context: WorkflowContext) => context.call(agent, {}).then(
        () => "ok",
        (error: { code: string }) => error.code,
      );
      if (concurrent) return ctx.parallel(Array.from({ length: times }, () => (branch: WorkflowContext) => one(branch)));
      const outcomes: string[] = [];
      for (let i = 0; i < times; i += 1) outcomes.push(await one(ctx));
      return outcomes;
    },
  });
}
