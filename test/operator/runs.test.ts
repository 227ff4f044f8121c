import { describe, expect, it } from "vitest";
import { CadreError, Runtime, openOperator, type RunSummary } from "../../src/index.ts";
import { dialects } from "../helpers/stores.ts";
import { auditor, batch, clerk, exported, operatorFixture, payout, spend } from "./setup.ts";

describe.each(await dialects())("operator runs on %s", (dialect) => {
  const open = operatorFixture(dialect);

  it("lists runs newest first a page at a time: runs created in the same millisecond are neither repeated nor skipped, and a new run does not shift later pages", async () => {
    const fixture = await open();
    // Runs started by a runtime whose clock stands still share their creation time.
    const time = { now: Date.UTC(2026, 0, 1) };
    const frozen = await Runtime.open({ store: fixture.runtime.store, agents: [clerk, auditor], workflows: [spend, payout, batch], now: () => time.now });
    try {
      const started: string[][] = [[], []];
      for (const [group, count] of [[0, 3], [1, 4]] as const) {
        time.now += 1000;
        for (let index = 0; index < count; index += 1) started[group]!.push((await (await frozen.start(spend, { calls: 0 })).result()).runId);
      }
      const expected = [...started[1]!.sort().reverse(), ...started[0]!.sort().reverse()];

      const pages: RunSummary[][] = [];
      let page = await fixture.operator.runs.list({ limit: 3 });
      pages.push(page.items);
      time.now += 1000;
      const newer = (await (await frozen.start(spend, { calls: 0 })).result()).runId;
      while (page.nextCursor) {
        page = await fixture.operator.runs.list({ limit: 3, cursor: page.nextCursor });
        pages.push(page.items);
      }
      expect(pages.map((items) => items.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((run) => run.id)).toEqual(expected);
      expect((await fixture.operator.runs.list({ limit: 1 })).items.map((run) => run.id)).toEqual([newer]);
      // A summary is the `cadre runs --json` row: no input or output.
      expect(Object.keys(pages[0]![0]!).sort()).toEqual(["createdAt", "endedAt", "error", "id", "parentRunId", "status", "workflow"]);
      expect(pages[0]![0]).toMatchObject({ workflow: "spend", status: "completed", createdAt: Date.UTC(2026, 0, 1) + 2000, parentRunId: null });
    } finally {
      await frozen.close();
    }
  });

  it("filters by status, workflow and parent run", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const spent = (await (await runtime.start(spend, { calls: 1 })).result()).runId;
    const parent = (await (await runtime.start(batch, {})).result()).runId;
    const [child] = (await operator.runs.list({ parentRunId: parent })).items;

    expect(child).toMatchObject({ workflow: "payout", status: "waiting", parentRunId: parent });
    expect((await operator.runs.list({ status: "waiting" })).items.map((run) => run.id).sort()).toEqual([parent, child!.id].sort());
    expect((await operator.runs.list({ status: ["completed", "failed"] })).items.map((run) => run.id)).toEqual([spent]);
    expect((await operator.runs.list({ workflow: "payout" })).items.map((run) => run.id)).toEqual([child!.id]);
    expect((await operator.runs.list({ parentRunId: null })).items.map((run) => run.id)).toEqual([parent, spent]);
    expect(await operator.runs.list({ workflow: "none" })).toEqual({ items: [], nextCursor: null });
  });

  it("refuses a bad page size, status or cursor with INVALID_INPUT", async () => {
    const fixture = await open();
    const { operator } = fixture;
    for (const options of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { status: "done" as never }, { cursor: "not-a-cursor" }, { cursor: Buffer.from('["x","y"]').toString("base64url") }]) {
      await expect(operator.runs.list(options)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
  });

  it("gets a run with its steps in tree order and its child runs; its cost counts the child runs unless asked not to; it says what the run waits for", async () => {
    const fixture = await open();
    const { runtime, operator } = fixture;
    const parent = (await (await runtime.start(batch, {})).result()).runId;
    const detail = await operator.runs.get(parent);
    const child = detail.children[0]!;

    expect(detail.run).toMatchObject({ id: parent, workflow: "batch", status: "waiting", input: {} });
    expect(detail.steps.map((step) => [step.type, step.status])).toEqual([
      ["agent", "completed"],
      ["tool", "completed"],
      ["workflow", "waiting"],
    ]);
    expect(detail.children).toEqual([{ id: child.id, workflow: "payout", status: "waiting", parentStepKey: detail.steps[2]!.key }]);
    expect(await operator.runs.steps(parent)).toEqual(detail.steps);

    const tree = await operator.runs.tree(parent);
    expect(tree.charges).toEqual([expect.objectContaining({ amountMicros: 10_000, subject: "tool:lookup" })]);
    expect(tree.children[0]!.charges.map((charge) => charge.amountMicros)).toEqual([10_000, 10_000]);

    expect(await operator.runs.cost(parent)).toEqual({ spentMicros: 30_000, charges: 3, inputTokens: 0, outputTokens: 0 });
    expect(await operator.runs.cost(parent, { includeChildRuns: false })).toEqual({ spentMicros: 10_000, charges: 1, inputTokens: 0, outputTokens: 0 });
    expect(await operator.runs.cost(child.id)).toEqual({ spentMicros: 20_000, charges: 2, inputTokens: 0, outputTokens: 0 });

    expect(await operator.runs.waits(parent)).toEqual([{ kind: "approval", runId: child.id, name: "payout" }]);
    expect(await operator.runs.waits(child.id)).toEqual([{ kind: "approval", runId: child.id, name: "payout" }]);
  });

  it("every read of an unknown run is UNKNOWN_RUN naming it", async () => {
    const fixture = await open();
    const { runs } = fixture.operator;
    for (const read of [() => runs.get("run_nope"), () => runs.tree("run_nope"), () => runs.steps("run_nope"), () => runs.cost("run_nope"), () => runs.waits("run_nope")]) {
      const error = await read().then(() => undefined, (thrown: unknown) => thrown);
      expect(CadreError.is(error)).toBe(true);
      expect(error).toMatchObject({ code: "UNKNOWN_RUN", details: { runId: "run_nope" } });
    }
  });

  it("acts as \"operator\" when no principal is given", async () => {
    const fixture = await open();
    const operator = openOperator({ store: fixture.runtime.store });
    await operator.budgets.fund({ amountMicros: 1 });
    const [funded] = (await exported(operator)).filter((record) => record.kind === "budget.funded");
    expect(funded).toMatchObject({ principal: "operator", data: { amountMicros: 1 } });
  });
});
