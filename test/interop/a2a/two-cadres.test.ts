import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineWorkflow, openOperator, remoteAgent, Runtime, usd } from "../../../src/index.ts";
import { listen } from "../../../src/server/listen.ts";
import { cadre } from "../../helpers/cli.ts";
import { startServeChild } from "../../helpers/serve-child.ts";

const calleeConfig = join(import.meta.dirname, "fixtures/callee.config.ts");

const rate = defineWorkflow({ name: "rate", description: "The rate for an amount.", input: z.object({ amount: z.number() }), output: z.object({ rate: z.number() }), run: async ({ amount }) => ({ rate: amount >= 100 ? 2 : 3 }) });

describe("two Cadre deployments delegating to each other over A2A", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("each side's budget is enforced: the caller's run refuses a call it cannot pay, the callee's workflow account refuses when empty", { timeout: 180_000 }, async () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-a2a-two-"));
    closers.push(async () => rmSync(directory, { recursive: true, force: true }));
    const storeA = join(directory, "a.db");
    const storeB = join(directory, "b.db");

    // A serves `rate` over A2A; B will call it back with an operator key of A.
    const serving = await Runtime.open({ store: storeA, workflows: [rate], expose: { workflows: { rate: {} } } });
    closers.push(() => serving.close());
    const operatorA = openOperator({ store: serving.store, principal: "setup" });
    const keyForB = (await operatorA.keys.create({ operator: "deployment-b", role: "operator" })).secret;
    const serverA = await listen({ runtime: serving, auth: { mode: "keys" }, host: "127.0.0.1", port: 0 });
    closers.push(() => serverA.close());

    // B: a child `cadre serve` on its own SQLite store, with an operator key for A made by the CLI.
    const created = cadre(["keys", "create", "--operator", "deployment-a", "--role", "operator", "--store", storeB]);
    expect(created.status, created.stderr).toBe(0);
    const keyForA = created.stdout.trim();
    const serveB = startServeChild(["--config", calleeConfig, "--store", storeB], { RATE_URL: `${serverA.url}/a2a/rate`, CADRE_A2A_TOKEN_RATER: keyForB });
    closers.push(serveB.stop);
    const urlB = await serveB.url;

    // A calls B's quote: 0.01 a call, from a run given 0.025.
    const quoter = remoteAgent({ name: "quoter", owner: "tests", purpose: "Gets quotes from deployment B.", url: `${urlB}/a2a/quote`, input: z.object({ amount: z.number() }), output: z.object({ amount: z.number(), price: z.number() }), price: usd(0.01), credential: () => keyForA, timeout: 60_000 });
    const ask = defineWorkflow({
      name: "ask",
      input: z.object({ amounts: z.array(z.number()) }),
      output: z.array(z.number()),
      budget: { allocation: usd(1), perRun: usd(0.025) },
      run: async ({ amounts }, ctx) => {
        const prices: number[] = [];
        for (const amount of amounts) prices.push((await ctx.call(quoter, { amount })).price);
        return prices;
      },
    });
    const calling = await Runtime.open({ store: join(directory, "a-calls.db"), agents: [quoter], workflows: [ask] });
    closers.push(() => calling.close());

    const first = await (await calling.start(ask, { amounts: [100, 10, 50] })).result();
    // Two quotes fit in 0.025; the third is refused by A's gateway before anything is sent.
    expect(first.status).toBe("failed");
    expect(first.error).toMatchObject({ code: "BUDGET_EXCEEDED" });
    const steps = await calling.getSteps(first.runId);
    expect(steps.filter((step) => step.name === "a2a.quoter" && step.status === "completed").map((step) => step.output)).toEqual([
      { output: { amount: 100, price: 200 }, taskId: expect.stringMatching(/^run_a2a_/), paidMicros: 0 },
      { output: { amount: 10, price: 30 }, taskId: expect.stringMatching(/^run_a2a_/), paidMicros: 0 },
    ]);
    expect((await openOperator({ store: calling.store }).runs.cost(first.runId)).spentMicros).toBe(usd(0.02));

    // B's quote account held three quotes: the third succeeds, the fourth is refused by B.
    const second = await (await calling.start(ask, { amounts: [100, 100] })).result();
    expect(second.status).toBe("failed");
    expect(second.error).toMatchObject({ code: "REMOTE_AGENT_FAILED", fault: "budget", details: { remoteCode: "BUDGET_EXCEEDED" } });
    expect((await calling.getSteps(second.runId)).filter((step) => step.name === "a2a.quoter").map((step) => step.status)).toEqual(["completed", "failed"]);

    // What B recorded: three quote runs by A's principal, a refusal audited, and A's rate called back three times (by B's principal on A).
    const listed = cadre(["runs", "--workflow", "quote", "--json", "--store", storeB]);
    expect(listed.status, listed.stderr).toBe(0);
    const runsB = JSON.parse(listed.stdout) as { items?: Array<{ status: string }> } | Array<{ status: string }>;
    const itemsB = Array.isArray(runsB) ? runsB : (runsB.items ?? []);
    expect(itemsB.map((run) => run.status)).toEqual(["completed", "completed", "completed"]);
    const audit = cadre(["audit", "export", "--store", storeB]);
    const refused = audit.stdout.split("\n").filter((line) => line.includes('"run.refused"'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain("BUDGET_EXCEEDED");
    const ratesOnA = await serving.listRuns({ workflow: "rate" });
    expect(ratesOnA.map((run) => [run.status, run.principal])).toEqual([
      ["completed", "operator:deployment-b"],
      ["completed", "operator:deployment-b"],
      ["completed", "operator:deployment-b"],
    ]);
  });
});
