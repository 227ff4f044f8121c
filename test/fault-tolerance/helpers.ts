import { z } from "zod";
import { defineWorkflow, type Agent, type WorkflowContext } from "../../src/index.ts";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { runtimeFixture } from "../helpers/runtime-fixture.ts";

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
