import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineWorkflow, type ChildSpec, type WorkflowContext } from "../../src/index.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child whose every run is counted; `behaviour(run number)` decides what it does. */
function child(id: string, restart: ChildSpec["restart"], counts: Record<string, number>, behaviour: (run: number, ctx: WorkflowContext) => Promise<unknown>): ChildSpec {
  return {
    id,
    restart,
    run: async (ctx) => {
      counts[id] = (counts[id] ?? 0) + 1;
      return ctx.step(`work-${id}`, () => behaviour(counts[id]!, ctx));
    },
  };
}

describe("supervision trees (OTP semantics)", () => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  async function run(body: (ctx: WorkflowContext) => Promise<unknown>) {
    location = await freshStoreLocation("sqlite");
    const workflow = defineWorkflow({ name: "supervised", input: z.object({}), output: z.any(), run: (_input, ctx) => body(ctx) });
    runtime = await Runtime.open({ store: location.location, workflows: [workflow] });
    const result = await (await runtime.start(workflow, {})).result();
    return { result, steps: await runtime.getSteps(result.runId) };
  }

  it("more than maxRestarts within withinMs fails the supervisor and escalates to the run", async () => {
    const counts: Record<string, number> = {};
    const { result, steps } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-one", maxRestarts: 2, withinMs: 10_000 }, [child("flaky", "permanent", counts, async () => { throw new Error("crash"); })]),
    );
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "SUPERVISOR_FAILED", details: { child: "flaky", restarts: 2, maxRestarts: 2 } });
    expect(counts.flaky).toBe(3);
    // Each restart is a fresh attempt in the journal: a new generation, a new key.
    expect(steps.map((step) => step.key).sort()).toEqual(["1.0g0/1:work-flaky", "1.0g1/1:work-flaky", "1.0g2/1:work-flaky"]);
  });

  it("restarts do not count once they fall out of the intensity window", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 30 }, [
        child("slow-flaky", "permanent", counts, async (attempt) => {
          await sleep(40);
          if (attempt < 4) throw new Error("crash");
          return "finally";
        }),
      ]),
    );
    expect(result.status).toBe("completed");
    expect(counts["slow-flaky"]).toBe(4);
  });

  it("nested supervisors escalate level by level", async () => {
    const counts: Record<string, number> = {};
    const inner: ChildSpec = {
      id: "inner",
      restart: "permanent",
      run: (ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [child("leaf", "permanent", counts, async () => { throw new Error("leaf crash"); })]),
    };
    const { result } = await run((ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [inner]));
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "SUPERVISOR_FAILED", details: { child: "inner", error: { code: "SUPERVISOR_FAILED", details: { child: "leaf" } } } });
    // The inner supervisor ran twice (once restarted by the outer), each time running its leaf twice.
    expect(counts.leaf).toBe(4);
  });

  it("a transient child that exits normally is not restarted, even when one-for-all restarts its group", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-all" }, [
        child("quick", "transient", counts, async () => "done"),
        child("fails-once", "permanent", counts, async (attempt) => {
          await sleep(20);
          if (attempt === 1) throw new Error("crash");
          return "recovered";
        }),
      ]),
    );
    expect(result).toMatchObject({ status: "completed", output: { results: { quick: "done", "fails-once": "recovered" }, restarts: 1 } });
    expect(counts).toEqual({ quick: 1, "fails-once": 2 });
  });

  it("a temporary child is never restarted, even under one-for-all, and its failure is reported", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-all" }, [
        child("temp", "temporary", counts, async () => {
          await sleep(40);
          throw new Error("temp crash");
        }),
        child("fails-once", "permanent", counts, async (attempt) => {
          await sleep(10);
          if (attempt === 1) throw new Error("crash");
          return "ok";
        }),
      ]),
    );
    expect(result.status).toBe("completed");
    expect(counts).toEqual({ temp: 1, "fails-once": 2 });
    expect((result.output as { failures: Record<string, { code: string }> }).failures.temp).toMatchObject({ code: "STEP_FAILED" });
  });

  it("one-for-all restarts the siblings; rest-for-one only those started after the failed one", async () => {
    const allCounts: Record<string, number> = {};
    const siblings = (counts: Record<string, number>) => [
      child("a", "permanent", counts, async () => {
        await sleep(40);
        return "a";
      }),
      child("b", "permanent", counts, async (attempt) => {
        await sleep(10);
        if (attempt === 1) throw new Error("b crash");
        return "b";
      }),
      child("c", "permanent", counts, async () => {
        await sleep(40);
        return "c";
      }),
    ];
    const all = await run((ctx) => ctx.supervise({ strategy: "one-for-all" }, siblings(allCounts)));
    expect(all.result.status).toBe("completed");
    expect(allCounts).toEqual({ a: 2, b: 2, c: 2 });
    await runtime?.close();
    runtime = undefined;
    await location.cleanup();

    const restCounts: Record<string, number> = {};
    const rest = await run((ctx) => ctx.supervise({ strategy: "rest-for-one" }, siblings(restCounts)));
    expect(rest.result).toMatchObject({ status: "completed", output: { results: { a: "a", b: "b", c: "c" } } });
    expect(restCounts).toEqual({ a: 1, b: 2, c: 2 });
  });
});
