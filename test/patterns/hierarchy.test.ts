import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow } from "../../src/index.ts";
import { crashHierarchy } from "../fixtures/crash-hierarchy.ts";
import { readExecutions } from "../fixtures/crash-workflow.ts";
import { cadre } from "../helpers/cli.ts";
import { crashChild } from "../helpers/crash.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const fixture = join(import.meta.dirname, "../fixtures/crash-hierarchy.ts");

describe.each(await dialects())("child workflows on %s", (dialect) => {
  let location: TestStoreLocation;
  afterEach(async () => location?.cleanup());

  it("a parent killed while its child runs resumes the same child run, which re-runs only its unfinished step", async () => {
    location = await freshStoreLocation(dialect);
    const logPath = join(mkdtempSync(join(tmpdir(), "cadre-hierarchy-")), "executions.jsonl");
    const parentId = await crashChild({ script: fixture, args: [location.location, logPath], reached: () => readExecutions(logPath).some((execution) => execution.step === 3), what: "the child run's step 3" });

    const { worker, child, parent } = crashHierarchy(logPath);
    const runtime = await Runtime.open({ store: location.location, agents: [worker], workflows: [parent, child] });
    try {
      const [childBefore] = await runtime.listRuns({ parentRunId: parentId });
      expect(childBefore).toMatchObject({ workflow: "five-steps", status: "running", parentStepKey: "1:workflow:five-steps" });
      const result = await (await runtime.resume(parentId, { force: true })).result();
      expect(result).toMatchObject({ status: "completed", output: { total: 150 } });

      // One child run, resumed rather than started again; its finished steps never ran twice.
      const children = await runtime.listRuns({ parentRunId: parentId });
      expect(children.map((run) => [run.id, run.status])).toEqual([[childBefore!.id, "completed"]]);
      expect(readExecutions(logPath).map((execution) => execution.step)).toEqual([1, 2, 3, 3, 4, 5]);
      const parentSteps = await runtime.getSteps(parentId);
      expect(parentSteps).toEqual([expect.objectContaining({ key: "1:workflow:five-steps", type: "workflow", status: "completed", attempt: 2, output: 150 })]);
    } finally {
      await runtime.close();
    }
  });

  it("a failed child fails its parent's step; resuming the parent resumes the child from its journal", async () => {
    location = await freshStoreLocation(dialect);
    const counts = { gather: 0, flaky: 0 };
    const gather = defineAgent({ name: "gather", owner: "t", purpose: "t", input: z.any(), output: z.number(), run: () => ++counts.gather });
    const flaky = defineAgent({
      name: "flaky",
      owner: "t",
      purpose: "fails the first time",
      input: z.number(),
      output: z.number(),
      run: (value) => {
        counts.flaky += 1;
        if (counts.flaky === 1) throw new Error("upstream down");
        return value * 100;
      },
    });
    const child = defineWorkflow({ name: "enrich", input: z.object({}), output: z.number(), run: async (_input, ctx) => ctx.call(flaky, await ctx.call(gather, {})) });
    const parent = defineWorkflow({ name: "batch", input: z.object({}), output: z.number(), run: (_input, ctx) => ctx.call(child, {}) });
    const runtime = await Runtime.open({ store: location.location, agents: [gather, flaky], workflows: [parent, child] });
    try {
      const failed = await (await runtime.start(parent, {})).result();
      expect(failed).toMatchObject({ status: "failed", error: { message: "upstream down" } });
      const [childRun] = await runtime.listRuns({ parentRunId: failed.runId });
      expect(childRun?.status).toBe("failed");

      const resumed = await (await runtime.resume(failed.runId)).result();
      expect(resumed).toMatchObject({ status: "completed", output: 100 });
      expect(counts).toEqual({ gather: 1, flaky: 2 });
      expect((await runtime.listRuns({ parentRunId: failed.runId })).map((run) => [run.id, run.status])).toEqual([[childRun!.id, "completed"]]);
    } finally {
      await runtime.close();
    }
  });
});

describe("cadre show", () => {
  it("displays a child run's steps under the parent step that started it", async () => {
    const location = await freshStoreLocation("sqlite");
    const analyst = defineAgent({ name: "analyst", owner: "t", purpose: "t", input: z.any(), output: z.string(), run: ({ region }) => `${region} ok` });
    const regional = defineWorkflow({ name: "regional", input: z.object({ region: z.string() }), output: z.string(), run: (input, ctx) => ctx.call(analyst, input) });
    const summary = defineWorkflow({ name: "summary", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.parallel(["north", "south"].map((region) => (branch) => branch.call(regional, { region }))) });
    const runtime = await Runtime.open({ store: location.location, agents: [analyst], workflows: [summary, regional] });
    const result = await (await runtime.start(summary, {})).result();
    const children = await runtime.listRuns({ parentRunId: result.runId });
    await runtime.close();
    try {
      const shown = cadre(["--store", location.location, "show", result.runId]);
      expect(shown.status).toBe(0);
      const lines = shown.stdout.split("\n");
      for (const child of children) {
        // The branch's workflow step, then the child run under it, then the child's own agent step, each indented deeper.
        const header = lines.findIndex((line) => line.includes(`run ${child.id}`));
        const branch = `[${child.parentStepKey!.split("/")[0]!.split(".")[1]}] workflow regional`;
        expect(lines[header - 1]).toContain(branch);
        const indent = (line: string) => line.length - line.trimStart().length;
        expect(indent(lines[header]!)).toBeGreaterThan(indent(lines[header - 1]!));
        expect(lines[header + 1]).toMatch(/^ +analyst +agent +completed/);
        expect(indent(lines[header + 1]!)).toBeGreaterThan(indent(lines[header]!));
      }
      const json = JSON.parse(cadre(["--store", location.location, "--json", "show", result.runId]).stdout);
      expect(json.children.map((child: { workflow: string }) => child.workflow)).toEqual(["regional", "regional"]);
    } finally {
      await location.cleanup();
    }
  });
});
