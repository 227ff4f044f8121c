import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, usd } from "../../src/index.ts";
import { auditKinds, ledgerTotals } from "../governance/fixtures.ts";
import { cadre } from "../helpers/cli.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects, freshStoreLocation } from "../helpers/stores.ts";

const blobInput = z.object({ blob: z.string() });
const measure = defineAgent({ name: "measure", owner: "tests", purpose: "measures a blob", input: blobInput, output: blobInput, run: async (input) => input });
const pipeline = defineWorkflow({
  name: "big-pipeline",
  input: blobInput,
  output: z.number(),
  run: async (input, ctx) => {
    const first = await ctx.call(measure, input);
    const second = await ctx.call(measure, first);
    const third = await ctx.step("copy", async () => second);
    return third.blob.length;
  },
});
const inflate = defineTool({ name: "inflate", description: "returns a large value", input: z.object({ size: z.number() }), output: z.string(), price: usd(0.01), run: async ({ size }) => "y".repeat(size) });
const inflater = defineAgent({ name: "inflater", owner: "tests", purpose: "asks for too much", tools: [inflate], grants: [{ scope: inflate.scope }], input: z.object({ size: z.number() }), output: z.number(), run: async ({ size }, context) => (await context.tools.call(inflate, { size })).length });
const inflating = defineWorkflow({ name: "inflating", input: z.object({ size: z.number() }), output: z.number(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(inflater, input) });

describe.each(await dialects())("payloads on %s", (dialect) => {
  const openRuntime = runtimeFixture(dialect);
  const open = (maxPayloadBytes?: number) => openRuntime([measure, inflater], [pipeline, inflating], { maxPayloadBytes });

  it("a large input passed along a run is stored once, and reads back whole", async () => {
    const runtime = await open();
    const blob = "x".repeat(1_000_000);
    const result = await (await runtime.start(pipeline, { blob })).result();
    expect(result).toMatchObject({ status: "completed", output: blob.length });

    const { db } = runtime.store;
    const payloads = await db.selectFrom("payloads").select(["size"]).execute();
    expect(payloads).toHaveLength(1);
    const inline = await sql<{ total: number }>`select coalesce(sum(length(input)), 0) + coalesce(sum(length(output)), 0) as total from steps`.execute(db);
    expect(Number(inline.rows[0]!.total)).toBeLessThan(10_000);
    expect((await runtime.getRun(result.runId))?.input).toEqual({ blob });
    const steps = await runtime.getSteps(result.runId);
    expect(steps.filter((step) => step.type === "agent").map((step) => (step.output as { blob: string }).blob.length)).toEqual([blob.length, blob.length]);
  });

  it("an input over maxPayloadBytes is refused before the run exists, and the refusal is audited", async () => {
    const runtime = await open(64 * 1024);
    await expect(runtime.start(pipeline, { blob: "x".repeat(100_000) })).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: { limitBytes: 64 * 1024 } });
    expect(await runtime.listRuns()).toEqual([]);
    expect((await auditKinds(runtime.store)).filter((record) => record.kind === "run.refused")).toEqual([expect.objectContaining({ data: expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }) })]);
  });

  it("a step output over the limit fails the step; the effect that happened is still paid once and the ledger balances", async () => {
    const runtime = await open(64 * 1024);
    const result = await (await runtime.start(inflating, { size: 100_000 })).result();
    expect(result).toMatchObject({ status: "failed", error: { code: "PAYLOAD_TOO_LARGE" } });
    const steps = await runtime.getSteps(result.runId);
    expect(steps.find((step) => step.type === "tool")).toMatchObject({ status: "failed", error: { code: "PAYLOAD_TOO_LARGE" } });
    const charged = await runtime.store.db.selectFrom("ledger_entries").select((eb) => eb.fn.sum<number>("amount").as("total")).where("kind", "=", "charge").executeTakeFirst();
    expect(Number(charged?.total)).toBe(usd(0.01));
    const totals = await ledgerTotals(runtime.store);
    expect(totals).toMatchObject({ held: 0, openHolds: 0 });
    expect(totals.conserved).toBe(totals.funded);
  });
});

describe("payload limit through the CLI", () => {
  it("cadre run with an oversized --input exits 2 and creates no run", async () => {
    const location = await freshStoreLocation("sqlite");
    const config = join(import.meta.dirname, "../fixtures/payloads.config.ts");
    writeFileSync(join(location.location, "..", "input.json"), JSON.stringify({ blob: "x".repeat(200_000) }));
    try {
      const refused = cadre(["--store", location.location, "--config", config, "run", "big-pipeline", "--input", `@${join(location.location, "..", "input.json")}`]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain("PAYLOAD_TOO_LARGE");
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      expect(cadre(["--store", location.location, "runs", "--json"]).stdout.trim()).toBe("[]");
    } finally {
      await location.cleanup();
    }
  });
});
