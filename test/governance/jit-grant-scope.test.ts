import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, usd, type Agent } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";
import { auditKinds, paidTool } from "./fixtures.ts";

/** A promise with its resolver, to order concurrent steps by events rather than by time. */
function signal(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((onResolve) => (resolve = onResolve));
  return { promise, resolve };
}

describe.each(await dialects())("a just-in-time grant stays inside its own step on %s", (dialect) => {
  // One store per test, shared by the runtimes a test opens.
  const open = runtimeFixture(dialect);

  /**
   * `exporter` holds no standing grant. As the holder it signals once its step has started
   * (its JIT grant is issued by then), waits for `release`, then calls the tool; as the
   * intruder it calls the tool at once. Each returns what its call came to.
   */
  const setup = () => {
    const tool = paidTool({ name: "export", price: 0 });
    const holding = signal();
    const release = signal();
    const exporter = defineAgent({
      name: "exporter",
      owner: "tests",
      purpose: "exports, holding its step open on request",
      tools: [tool],
      input: z.object({ role: z.enum(["holder", "intruder"]) }),
      output: z.object({ code: z.string(), reason: z.string().optional() }),
      run: async ({ role }, context) => {
        if (role === "holder") {
          holding.resolve();
          await release.promise;
        }
        try {
          await context.tools.call(tool, { i: 1 });
          return { code: "ok" };
        } catch (error) {
          return { code: (error as { code: string }).code, reason: (error as Error).message };
        }
      },
    });
    return { exporter, holding, release };
  };

  const liveJitGrants = (rt: Runtime) => rt.store.db.selectFrom("grants").select(["run_id", "step_key"]).where("kind", "=", "jit").where("revoked_at", "is", null).execute();

  it("a sibling branch's step of the same agent is refused while the grant's own step is still running", async () => {
    const { exporter, holding, release } = setup();
    let liveWhileRefused: Array<{ run_id: string | null; step_key: string | null }> = [];
    const workflow = defineWorkflow({
      name: "siblings",
      input: z.object({}),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: (_input, ctx) =>
        ctx.parallel([
          (branch) => branch.call(exporter, { role: "holder" }, { grants: [{ scope: "tool:export" }] }),
          async (branch) => {
            await holding.promise;
            const outcome = await branch.call(exporter, { role: "intruder" });
            liveWhileRefused = await liveJitGrants(rt);
            release.resolve();
            return outcome;
          },
        ]),
    });
    const rt = await open([exporter], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    expect(result.status).toBe("completed");
    const [holder, intruder] = result.output as Array<{ code: string; reason?: string }>;
    expect(intruder).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(intruder!.reason).toContain("belongs to another step");
    expect(holder).toEqual({ code: "ok" });
    // The refusal happened while the holder's grant was live, so only its step scope refused it.
    expect(liveWhileRefused).toHaveLength(1);
    expect(liveWhileRefused[0]).toMatchObject({ run_id: result.runId });
    const steps = await rt.getSteps(result.runId);
    const holderStep = steps.find((step) => step.type === "agent" && step.key === liveWhileRefused[0]!.step_key);
    expect(holderStep).toMatchObject({ status: "completed", output: { code: "ok" } });
    const denial = (await auditKinds(rt.store, result.runId)).find((record) => record.kind === "gateway.deny");
    expect(denial).toMatchObject({ agent: "exporter", data: { code: "PERMISSION_DENIED", scope: "tool:export" } });
    expect(await liveJitGrants(rt)).toEqual([]);
  });

  it("another run of the same agent cannot use a live just-in-time grant of the first run", async () => {
    const { exporter, holding, release } = setup();
    const granted = defineWorkflow({
      name: "granted",
      input: z.object({}),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: (_input, ctx) => ctx.call(exporter, { role: "holder" }, { grants: [{ scope: "tool:export" }] }),
    });
    const intruding = defineWorkflow({
      name: "intruding",
      input: z.object({}),
      output: z.any(),
      budget: { perRun: usd(1), allocation: usd(10) },
      run: (_input, ctx) => ctx.call(exporter, { role: "intruder" }),
    });
    const rt = await open([exporter], [granted, intruding]);
    const first = await rt.start(granted, {});
    await holding.promise;
    const second = await (await rt.start(intruding, {})).result();
    const live = await liveJitGrants(rt);
    release.resolve();
    const firstResult = await first.result();
    // Both runs' first step has the same key: only the run id tells the grant's step apart.
    const agentStep = async (runId: string) => (await rt.getSteps(runId)).find((step) => step.type === "agent");
    const firstStep = await agentStep(firstResult.runId);
    const secondStep = await agentStep(second.runId);
    expect(secondStep!.key).toBe(firstStep!.key);
    expect(live).toEqual([{ run_id: firstResult.runId, step_key: firstStep!.key }]);
    expect(second.output).toMatchObject({ code: "PERMISSION_DENIED" });
    expect((second.output as { reason: string }).reason).toContain("belongs to another step");
    expect(firstResult.output).toEqual({ code: "ok" });
  });

  it("a delegating agent passes on only a grant it holds live: not an expired one, not a used-up one", async () => {
    const tool = paidTool({ name: "export", price: 0 });
    const worker = defineAgent({ name: "worker", owner: "tests", purpose: "exports once", tools: [tool], input: z.any(), output: z.string(), run: async (_input, context) => (await context.tools.call(tool, { i: 1 }), "exported") });
    /** A lead holding `grants` that uses the tool `ownUses` times itself, then delegates it to the worker. */
    const lead = (name: string, grants: Agent["grants"], ownUses: number) =>
      defineAgent({
        name,
        owner: "tests",
        purpose: "delegates exports",
        tools: [tool],
        grants,
        input: z.any(),
        output: z.string(),
        run: async (_input, context) => {
          for (let i = 0; i < ownUses; i += 1) await context.tools.call(tool, { i });
          return context.call(worker, {}, { grants: [{ scope: "tool:export" }] }).then(
            (output) => output,
            (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
          );
        },
      });
    const live = lead("live", [{ scope: "tool:export", maxUses: 2 }], 1);
    const expired = lead("expired", [{ scope: "tool:export", expiresAt: Date.parse("2020-01-01") }], 0);
    const usedUp = lead("used-up", [{ scope: "tool:export", maxUses: 1 }], 1);
    const workflow = defineWorkflow({
      name: "delegation",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => ({ live: await ctx.call(live, {}), expired: await ctx.call(expired, {}), usedUp: await ctx.call(usedUp, {}) }),
    });
    const rt = await open([live, expired, usedUp, worker], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    const refusal = 'PERMISSION_DENIED: Agent "NAME"';
    const output = result.output as Record<string, string>;
    expect(output.live).toBe("exported");
    for (const [key, name] of [["expired", "expired"], ["usedUp", "used-up"]] as const) {
      expect(output[key]).toContain(refusal.replace("NAME", name));
      expect(output[key]).toContain('cannot pass to sub-agent "worker" a grant it does not hold itself');
    }
  });
});
