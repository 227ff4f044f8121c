import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decideApproval, defineWorkflow, type AttemptContext, type ChildSpec, type WorkflowContext } from "../../src/index.ts";
import { deferred } from "../helpers/deferred.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child whose every execution is counted; `behaviour(execution number)` decides what it does. */
function child(id: string, restart: ChildSpec["restart"], counts: Record<string, number>, behaviour: (execution: number, ctx: WorkflowContext, attempt: AttemptContext) => Promise<unknown>): ChildSpec {
  return {
    id,
    restart,
    run: (ctx) =>
      ctx.step(`work-${id}`, (attempt) => {
        counts[id] = (counts[id] ?? 0) + 1;
        return behaviour(counts[id]!, ctx, attempt);
      }),
  };
}

/** Never settles by itself: ends when the step is aborted (its supervisor stops it). */
function untilAborted(attempt: AttemptContext): Promise<never> {
  return new Promise((_resolve, reject) => attempt.signal.addEventListener("abort", () => reject(attempt.signal.reason), { once: true }));
}

const crash = async () => {
  throw new Error("crash");
};

describe.each(await dialects())("supervision trees (OTP semantics) on %s", (dialect) => {
  const openRuntime = runtimeFixture(dialect);

  async function open(body: (ctx: WorkflowContext) => Promise<unknown>) {
    const workflow = defineWorkflow({ name: "supervised", input: z.object({}), output: z.any(), run: (_input, ctx) => body(ctx) });
    return { runtime: await openRuntime([], [workflow]), workflow };
  }

  async function run(body: (ctx: WorkflowContext) => Promise<unknown>) {
    const { runtime, workflow } = await open(body);
    const result = await (await runtime.start(workflow, {})).result();
    return { result, steps: await runtime.getSteps(result.runId) };
  }

  it("more than maxRestarts within withinMs fails the supervisor and escalates to the run", async () => {
    const counts: Record<string, number> = {};
    const { result, steps } = await run((ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 2, withinMs: 10_000 }, [child("flaky", "permanent", counts, crash)]));
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "SUPERVISOR_FAILED", details: { child: "flaky", restarts: 2, maxRestarts: 2 } });
    expect(counts.flaky).toBe(3);
    // Each restart is a fresh attempt in the journal: a new generation, a new key, and a journaled decision.
    expect(steps.map((step) => [step.key, step.status]).sort()).toEqual([
      ["1.0g0/1:work-flaky", "failed"],
      ["1.0g1/1:work-flaky", "failed"],
      ["1.0g2/1:work-flaky", "failed"],
      ["1.s/1:decision", "completed"],
      ["1.s/2:decision", "completed"],
    ]);
    expect(steps.find((step) => step.key === "1.s/2:decision")?.output).toMatchObject({ child: "flaky", generation: 1, restarted: ["flaky"], terminated: [], error: { message: "crash" } });
  });

  it("maxRestarts 0 fails the supervisor on the first failure", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 0 }, [child("once", "permanent", counts, crash)]));
    expect(result.error).toMatchObject({ code: "SUPERVISOR_FAILED", details: { restarts: 0 } });
    expect(counts.once).toBe(1);
  });

  it("restarts do not count once they fall out of the intensity window", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 30 }, [
        child("slow-flaky", "permanent", counts, async (execution) => {
          await sleep(40);
          if (execution < 4) throw new Error("crash");
          return "finally";
        }),
      ]),
    );
    expect(result).toMatchObject({ status: "completed", output: { results: { "slow-flaky": "finally" }, restarts: 3 } });
    expect(counts["slow-flaky"]).toBe(4);
  });

  it("nested supervisors escalate level by level", async () => {
    const counts: Record<string, number> = {};
    const inner: ChildSpec = {
      id: "inner",
      run: (ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [child("leaf", "permanent", counts, crash)]),
    };
    const middle: ChildSpec = { id: "middle", run: (ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [inner]) };
    const { result, steps } = await run((ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 0 }, [middle]));
    expect(result.status).toBe("failed");
    // The top gave up on the middle, which gave up on the inner, which gave up on the leaf.
    expect(result.error).toMatchObject({
      code: "SUPERVISOR_FAILED",
      details: { child: "middle", error: { code: "SUPERVISOR_FAILED", details: { child: "inner", error: { code: "SUPERVISOR_FAILED", details: { child: "leaf", error: { message: "crash" } } } } } },
    });
    // The middle restarted the inner once; each inner ran its leaf twice.
    expect(counts.leaf).toBe(4);
    expect(steps.filter((step) => step.name === "decision").map((step) => step.key).sort()).toEqual(["1.0g0/1.0g0/1.s/1:decision", "1.0g0/1.0g1/1.s/1:decision", "1.0g0/1.s/1:decision"]);
  });

  it("a parent with intensity to spare restarts the supervisor that escalated, and the tree recovers", async () => {
    const counts: Record<string, number> = {};
    const inner: ChildSpec = {
      id: "inner",
      run: (ctx) =>
        ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [
          child("leaf", "permanent", counts, async (execution) => {
            if (execution < 4) throw new Error(`crash ${execution}`);
            return "leaf done";
          }),
        ]),
    };
    const { result } = await run((ctx) => ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 10_000 }, [inner]));
    expect(result).toMatchObject({ status: "completed", output: { results: { inner: { results: { leaf: "leaf done" }, restarts: 1 } }, restarts: 1 } });
    expect(counts.leaf).toBe(4);
  });

  it("a transient child is restarted when it fails, not when it exits normally, even when one-for-all restarts its group", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-all" }, [
        child("quick", "transient", counts, async () => "done"),
        child("transient-flaky", "transient", counts, async (execution) => {
          await sleep(20);
          if (execution === 1) throw new Error("crash");
          return "recovered";
        }),
      ]),
    );
    expect(result).toMatchObject({ status: "completed", output: { results: { quick: "done", "transient-flaky": "recovered" }, restarts: 1 } });
    expect(counts).toEqual({ quick: 1, "transient-flaky": 2 });
  });

  it("a temporary child is never restarted: its failure is reported, not escalated", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-one", maxRestarts: 0 }, [child("temp", "temporary", counts, crash), child("steady", "permanent", counts, async () => "ok")]),
    );
    expect(result).toMatchObject({ status: "completed", output: { results: { steady: "ok" }, failures: { temp: { code: "STEP_FAILED", message: "crash" } }, restarts: 0 } });
    expect(counts).toEqual({ temp: 1, steady: 1 });
  });

  it("a temporary child is never restarted even under one-for-all: the group restart stops it for good", async () => {
    const counts: Record<string, number> = {};
    const tempStarted = deferred();
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-all" }, [
        child("temp", "temporary", counts, async (_execution, _ctx, attempt) => {
          tempStarted.resolve();
          return untilAborted(attempt);
        }),
        child("fails-once", "permanent", counts, async (execution) => {
          await tempStarted.promise;
          if (execution === 1) throw new Error("crash");
          return "ok";
        }),
      ]),
    );
    expect(result).toMatchObject({ status: "completed", output: { results: { "fails-once": "ok" }, failures: { temp: { code: "ABORTED", details: { child: "temp", sibling: "fails-once" } } }, restarts: 1 } });
    expect(counts).toEqual({ temp: 1, "fails-once": 2 });
  });

  it("one-for-all restarts the siblings; rest-for-one only those started after the failed one", async () => {
    const siblings = (counts: Record<string, number>) => [
      child("a", "permanent", counts, async () => {
        await sleep(40);
        return "a";
      }),
      child("b", "permanent", counts, async (execution) => {
        await sleep(10);
        if (execution === 1) throw new Error("b crash");
        return "b";
      }),
      child("c", "permanent", counts, async () => {
        await sleep(40);
        return "c";
      }),
    ];
    const allCounts: Record<string, number> = {};
    const all = await run((ctx) => ctx.supervise({ strategy: "one-for-all" }, siblings(allCounts)));
    expect(all.result).toMatchObject({ status: "completed", output: { results: { a: "a", b: "b", c: "c" }, restarts: 1 } });
    expect(allCounts).toEqual({ a: 2, b: 2, c: 2 });
    expect(all.steps.find((step) => step.name === "decision")?.output).toMatchObject({ child: "b", restarted: ["a", "b", "c"] });

    const restCounts: Record<string, number> = {};
    const rest = await run((ctx) => ctx.supervise({ strategy: "rest-for-one" }, siblings(restCounts)));
    expect(rest.result).toMatchObject({ status: "completed", output: { results: { a: "a", b: "b", c: "c" }, restarts: 1 } });
    expect(restCounts).toEqual({ a: 1, b: 2, c: 2 });
    expect(rest.steps.find((step) => step.name === "decision")?.output).toMatchObject({ child: "b", restarted: ["b", "c"] });
  });

  it("one-for-all restarts a permanent sibling that had already completed", async () => {
    const counts: Record<string, number> = {};
    const { result } = await run((ctx) =>
      ctx.supervise({ strategy: "one-for-all" }, [
        child("fast", "permanent", counts, async () => "fast"),
        child("late-crash", "permanent", counts, async (execution) => {
          await sleep(20);
          if (execution === 1) throw new Error("crash");
          return "late";
        }),
      ]),
    );
    expect(result.status).toBe("completed");
    expect(counts).toEqual({ fast: 2, "late-crash": 2 });
  });

  it("a resumed run replays the journaled restarts: superseded generations never run again", async () => {
    const counts: Record<string, number> = {};
    const prepareStarted = deferred();
    const { runtime, workflow } = await open((ctx) =>
      ctx.supervise({ strategy: "one-for-all", maxRestarts: 1 }, [
        child("flaky", "permanent", counts, async (execution) => {
          if (execution !== 1) return "fetched";
          // Crash only once the gate is mid-prepare, so one-for-all must stop it.
          await prepareStarted.promise;
          throw new Error("crash");
        }),
        {
          id: "gate",
          run: async (ctx) => {
            await ctx.step("prepare", async (attempt) => {
              counts.prepare = (counts.prepare ?? 0) + 1;
              if (counts.prepare === 1) {
                prepareStarted.resolve();
                await untilAborted(attempt);
              }
              return "ready";
            });
            return (await ctx.approval("go")).approved;
          },
        },
      ]),
    );
    const first = await (await runtime.start(workflow, {})).result();
    expect(first.status).toBe("waiting");
    // flaky crashed once; one-for-all stopped the gate mid-prepare and restarted both.
    expect(counts).toEqual({ flaky: 2, prepare: 2 });

    await decideApproval(runtime.store, { runId: first.runId, name: "go", approved: true, by: "tests" });
    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: { results: { flaky: "fetched", gate: true }, restarts: 1 } });
    // Nothing ran again: generation 0 is not re-executed, generation 1 replays from the journal.
    expect(counts).toEqual({ flaky: 2, prepare: 2 });
    const steps = await runtime.getSteps(first.runId);
    expect(steps.map((step) => [step.key, step.status, step.attempt]).sort()).toEqual([
      ["1.0g0/1:work-flaky", "failed", 1],
      ["1.0g1/1:work-flaky", "completed", 1],
      ["1.1g0/1:prepare", "failed", 1],
      ["1.1g1/1:prepare", "completed", 1],
      ["1.1g1/2:approval:go", "completed", 1],
      ["1.s/1:decision", "completed", 1],
    ]);
  });

  it("after a crash, resume re-runs only the interrupted generation, and the restart intensity counts the journaled restarts", async () => {
    const counts: Record<string, number> = {};
    let release: (() => void) | undefined;
    const body = (ctx: WorkflowContext) =>
      ctx.supervise({ strategy: "one-for-one", maxRestarts: 1, withinMs: 60_000 }, [
        child("worker", "permanent", counts, async (execution) => {
          if (execution === 1) throw new Error("crash");
          if (execution === 2) await new Promise<void>((resolve) => (release = resolve));
          if (execution === 3) throw new Error("crash again");
          return "done";
        }),
      ]);
    const { runtime, workflow } = await open(body);
    const handle = await runtime.start(workflow, {});
    while (!release) await sleep(5);
    await runtime.close(); // the process goes away mid generation 1
    expect((await handle.result()).status).toBe("failed");

    const { runtime: next } = await open(body);
    const resumed = await (await next.resume(handle.runId)).result();
    // Generation 1 ran again (execution 3) and crashed: with the journaled restart that is 2 > maxRestarts 1.
    expect(resumed.error).toMatchObject({ code: "SUPERVISOR_FAILED", details: { child: "worker", restarts: 1, maxRestarts: 1 } });
    expect(counts.worker).toBe(3);
    const steps = await next.getSteps(handle.runId);
    expect(steps.filter((step) => step.key.startsWith("1.0g")).map((step) => [step.key, step.attempt])).toEqual(
      expect.arrayContaining([
        ["1.0g0/1:work-worker", 1],
        ["1.0g1/1:work-worker", 2],
      ]),
    );
  });

  it("refuses duplicate child ids", async () => {
    const { result } = await run((ctx) => ctx.supervise({ strategy: "one-for-one" }, [child("same", "permanent", {}, async () => 1), child("same", "permanent", {}, async () => 2)]));
    expect(result.error).toMatchObject({ code: "CONFIGURATION", details: { ids: ["same", "same"] } });
  });
});
