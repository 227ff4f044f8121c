import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineWorkflow } from "../../src/index.ts";
import { resolveRuntimeOptions } from "../../src/workflow/runtime-options.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const echo = defineWorkflow({ name: "echo", input: z.object({ n: z.number() }), output: z.number(), run: async ({ n }, ctx) => ctx.step("twice", () => n * 2) });

describe("runtime options", () => {
  let location: TestStoreLocation;
  afterEach(async () => location?.cleanup());

  it("are resolved once, with defaults from the environment", () => {
    const resolved = resolveRuntimeOptions({}, { CADRE_PRINCIPAL: "ops@example" });
    expect(resolved).toMatchObject({ principal: "ops@example", leaseMs: 30_000, blockOverdueReviews: false, maxPayloadBytes: 8 * 1024 * 1024, agents: [], workflows: [] });
    expect(resolveRuntimeOptions({ principal: "given" }, { CADRE_PRINCIPAL: "ops" }).principal).toBe("given");
  });

  it("take an injected clock and id source, used for the run's id and its times", async () => {
    location = await freshStoreLocation("sqlite");
    let sequence = 0;
    const runtime = await Runtime.open({ store: location.location, workflows: [echo], now: () => 1_000_000, generateId: (prefix) => `${prefix}_test${++sequence}` });
    try {
      const result = await (await runtime.start(echo, { n: 21 })).result();
      expect(result).toEqual({ runId: "run_test1", status: "completed", output: 42 });
      expect(await runtime.getRun("run_test1")).toMatchObject({ createdAt: 1_000_000, endedAt: 1_000_000 });
      expect((await runtime.getSteps("run_test1"))[0]).toMatchObject({ startedAt: 1_000_000, durationMs: 0 });
    } finally {
      await runtime.close();
    }
  });
});
