import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineTool, defineWorkflow, openOperator, usd, type Agent, type HandoffDecision, type Workflow } from "../../src/index.ts";
import { deferred } from "../helpers/deferred.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds } from "../governance/fixtures.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(await dialects())("coordination patterns on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  const open = async (agents: Agent[], workflows: Workflow[]) => {
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents, workflows });
    return runtime;
  };
  const runOnce = async (agents: Agent[], body: Workflow["run"], input: unknown = {}) => {
    const workflow = defineWorkflow({ name: "pattern", input: z.any(), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: body });
    const rt = await open(agents, [workflow]);
    const result = await (await rt.start(workflow, input)).result();
    return { result, rt };
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  const counting = (name: string, counts: Record<string, number>, output: (input: any) => unknown = (input) => input) =>
    defineAgent({
      name,
      owner: "tests",
      purpose: name,
      input: z.any(),
      output: z.any(),
      run: (input) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return output(input);
      },
    });

  it("plan: a cyclic graph is rejected before any agent runs, with the cycle named", async () => {
    const counts: Record<string, number> = {};
    const worker = counting("worker", counts);
    const { result } = await runOnce([worker], (_input, ctx) =>
      ctx.plan([
        { id: "gather", agent: worker, input: {} },
        { id: "draft", agent: worker, dependsOn: ["gather", "review"] },
        { id: "review", agent: worker, dependsOn: ["draft"] },
      ]),
    );
    expect(result.error).toMatchObject({ code: "PLAN_INVALID", details: { cycle: ["draft", "review", "draft"] } });
    expect(result.error?.message).toContain("draft → review → draft");
    expect(counts.worker).toBeUndefined();
  });

  it("plan: unknown agents and missing dependencies are rejected; a valid graph runs at maximum parallelism", async () => {
    // Independent tasks wait for each other to start (a serial plan never gets there and gives
    // up after 10 s): left and right must overlap, and join must start after both ended.
    const events: string[] = [];
    let running = 0;
    const overlap = deferred();
    const slow = defineAgent({
      name: "slow",
      owner: "t",
      purpose: "t",
      input: z.any(),
      output: z.any(),
      run: async (input) => {
        const name = "side" in input ? input.side : "join";
        events.push(`start ${name}`);
        running += 1;
        if (running === 2) overlap.resolve();
        if (name !== "join") await Promise.race([overlap.promise, sleep(10_000)]);
        running -= 1;
        events.push(`end ${name}`);
        return input;
      },
    });
    const { result } = await runOnce([slow], async (_input, ctx) => {
      const rejected = await ctx.plan([{ id: "a", agent: "ghost" }]).catch((error) => error.message);
      const missing = await ctx.plan([{ id: "a", agent: slow, dependsOn: ["b"] }]).catch((error) => error.message);
      const outputs = await ctx.plan([
        { id: "left", agent: slow, input: { side: "left" } },
        { id: "right", agent: slow, input: { side: "right" } },
        { id: "join", agent: slow, dependsOn: ["left", "right"], input: (deps: Record<string, unknown>) => ({ joined: deps }) },
      ]);
      return { rejected, missing, outputs };
    });
    const output = result.output as { rejected: string; missing: string; outputs: Record<string, unknown> };
    expect(output.rejected).toContain('agent "ghost"');
    expect(output.missing).toContain('depends on "b"');
    expect(output.outputs.join).toEqual({ joined: { left: { side: "left" }, right: { side: "right" } } });
    expect(events.slice(0, 2).sort()).toEqual(["start left", "start right"]);
    expect(events.slice(2, 4).sort()).toEqual(["end left", "end right"]);
    expect(events.slice(4)).toEqual(["start join", "end join"]);
  });

  it("plan: a plan produced by an orchestrator agent is validated the same way before anything runs", async () => {
    const counts: Record<string, number> = {};
    const worker = counting("worker", counts);
    const planner = defineAgent({
      name: "planner",
      owner: "t",
      purpose: "decomposes the goal into tasks",
      input: z.object({ cyclic: z.boolean() }),
      output: z.array(z.object({ id: z.string(), agent: z.string(), input: z.any(), dependsOn: z.array(z.string()) })),
      run: ({ cyclic }) => [
        { id: "research", agent: "worker", input: { step: 1 }, dependsOn: cyclic ? ["write"] : [] },
        { id: "write", agent: "worker", input: { step: 2 }, dependsOn: ["research"] },
      ],
    });
    const { result } = await runOnce([planner, worker], async (_input, ctx) => {
      const good = await ctx.plan(await ctx.call(planner, { cyclic: false }));
      const bad = await ctx.plan(await ctx.call(planner, { cyclic: true })).then(() => "ran", (error: { code: string; details: { cycle: string[] } }) => `${error.code} ${error.details.cycle.join(" → ")}`);
      return { good, bad };
    });
    expect(result.output).toEqual({ good: { research: { step: 1 }, write: { step: 2 } }, bad: "PLAN_INVALID research → write → research" });
    expect(counts.worker).toBe(2);
  });

  it("refine: stops at its hard cap and says so", async () => {
    const counts: Record<string, number> = {};
    const producer = counting("producer", counts, ({ round }) => `draft ${round}`);
    const critic = counting("critic", counts, ({ round }) => ({ score: round * 10, feedback: "more detail" }));
    const { result } = await runOnce([producer, critic], (_input, ctx) => ctx.refine({ producer, critic, accept: (critique) => critique.score >= 90, maxRounds: 3, input: "write a memo" }));
    expect(result.output).toMatchObject({ accepted: false, rounds: 3, output: "draft 3", critique: { score: 30 } });
    expect(counts).toEqual({ producer: 3, critic: 3 });
  });

  it("handoff: a ping-pong between two agents is cut off", async () => {
    const billing = defineAgent({ name: "billing", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (): HandoffDecision => ({ handoff: "support", reason: "not a billing question", input: {} }) });
    const support = defineAgent({ name: "support", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (): HandoffDecision => ({ handoff: "billing", reason: "looks like billing", input: {} }) });
    const { result, rt } = await runOnce([billing, support], (_input, ctx) => ctx.handoff({ start: billing, peers: [support], input: {}, maxHandoffs: 10 }));
    expect(result.error).toMatchObject({ code: "LOOP_LIMIT", details: { path: ["billing", "support", "billing", "support"] } });
    expect((await auditKinds(rt.store, result.runId)).filter((record) => record.kind === "handoff")).toHaveLength(3);
  });

  it("handoff: a peer can finish with the result and the path is reported", async () => {
    const triage = defineAgent({ name: "triage", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (): HandoffDecision => ({ handoff: "expert", reason: "needs an expert", input: { q: 1 } }) });
    const expert = defineAgent({ name: "expert", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (input): HandoffDecision => ({ done: true, output: { answered: input } }) });
    const { result } = await runOnce([triage, expert], (_input, ctx) => ctx.handoff({ start: triage, peers: [expert], input: {} }));
    expect(result.output).toEqual({ output: { answered: { q: 1 } }, path: [{ agent: "triage" }, { agent: "expert", reason: "needs an expert" }] });
  });

  it("blackboard: concurrent compare-and-set writes to one entry produce a detected conflict, never a lost update", async () => {
    const { result, rt } = await runOnce([], async (_input, ctx) => {
      await ctx.board.write("forecast", { value: 1 }, { expectedVersion: 0, writer: "seed" });
      const writers = await ctx.parallel(
        Array.from({ length: 8 }, (_, index) => (branch) => branch.board.write("forecast", { value: 100 + index }, { expectedVersion: 1, writer: `writer-${index}` }).then(() => "won", (error: { code: string }) => error.code)),
      );
      return { writers, final: await ctx.board.read("forecast") };
    });
    const output = result.output as { writers: string[]; final: { value: { value: number }; version: number; writer: string } };
    expect(output.writers.filter((outcome) => outcome === "won")).toHaveLength(1);
    expect(output.writers.filter((outcome) => outcome === "CONFLICT")).toHaveLength(7);
    const winner = output.writers.indexOf("won");
    expect(output.final).toEqual({ value: { value: 100 + winner }, version: 2, writer: `writer-${winner}` });
    const rows = await rt.store.db.selectFrom("board_entries").selectAll().execute();
    expect(rows).toHaveLength(1);
  });

  it("blackboard swarm: contributors act when their condition holds, in rounds", async () => {
    const collector = defineAgent({ name: "collector", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: () => ["fact a", "fact b"] });
    const summarizer = defineAgent({ name: "summarizer", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: ({ entries }) => `summary of ${entries.facts.value.length} facts` });
    const { result } = await runOnce([collector, summarizer], (_input, ctx) =>
      ctx.blackboard({
        maxRounds: 5,
        contributors: [
          { agent: collector, writes: "facts", when: (entries) => !entries.facts },
          { agent: summarizer, writes: "summary", when: (entries) => Boolean(entries.facts) && !entries.summary },
        ],
      }),
    );
    expect(result.output).toMatchObject({ rounds: 2, conflicts: 0, entries: { facts: { value: ["fact a", "fact b"] }, summary: { value: "summary of 2 facts" } } });
  });

  it("route: the classification and its confidence are journaled and audited", async () => {
    const classifier = defineAgent({ name: "classifier", owner: "t", purpose: "t", input: z.any(), output: z.object({ route: z.string(), confidence: z.number() }), run: ({ text }) => ({ route: text.includes("refund") ? "billing" : "tech", confidence: 0.92 }) });
    const counts: Record<string, number> = {};
    const billing = counting("billing", counts, () => "billing handled");
    const tech = counting("tech", counts, () => "tech handled");
    const { result, rt } = await runOnce([classifier, billing, tech], (input, ctx) => ctx.route(classifier, { billing, tech }, input), { text: "I want a refund" });
    expect(result.output).toMatchObject({ route: "billing", output: "billing handled", classification: { confidence: 0.92 } });
    expect(counts).toEqual({ billing: 1 });
    const decision = (await auditKinds(rt.store, result.runId)).find((record) => record.kind === "route.decision");
    expect(decision?.data).toMatchObject({ route: "billing", confidence: 0.92, chosen: "billing" });
  });

  it("pipeline: a stage's output is validated before the next stage sees it", async () => {
    const extract = defineAgent({ name: "extract", owner: "t", purpose: "t", input: z.string(), output: z.object({ amount: z.number() }), run: (text) => ({ amount: Number(text) }) as never });
    const approve = defineAgent({ name: "approve", owner: "t", purpose: "t", input: z.object({ amount: z.number().max(1000) }), output: z.string(), run: ({ amount }) => `approved ${amount}` });
    const { result } = await runOnce([extract, approve], (input, ctx) => ctx.pipeline([extract, approve], input), "250");
    expect(result.output).toBe("approved 250");
    await runtime!.close();
    runtime = undefined;
    await location.cleanup();
    const tooMuch = await runOnce([extract, approve], (input, ctx) => ctx.pipeline([extract, approve], input), "5000");
    expect(tooMuch.result.error).toMatchObject({ code: "INVALID_INPUT", details: { agent: "approve" } });
  });

  it("group chat: round-robin with a hard round cap", async () => {
    const optimist = defineAgent({ name: "optimist", owner: "t", purpose: "t", input: z.any(), output: z.string(), run: ({ transcript }) => `yes (${transcript.length})` });
    const skeptic = defineAgent({ name: "skeptic", owner: "t", purpose: "t", input: z.any(), output: z.string(), run: ({ transcript }) => `no (${transcript.length})` });
    const { result } = await runOnce([optimist, skeptic], (_input, ctx) => ctx.groupChat({ agents: [optimist, skeptic], topic: "ship it?", maxRounds: 3 }));
    expect(result.output).toEqual({ finished: false, transcript: [{ agent: "optimist", text: "yes (0)" }, { agent: "skeptic", text: "no (1)" }, { agent: "optimist", text: "yes (2)" }] });
  });

  it("resolve: every rule picks as documented, and a conflict is journaled and audited", async () => {
    const candidates = [
      { source: "crm", value: "Berlin", observedAt: 100, confidence: 0.6 },
      { source: "registry", value: "Munich", observedAt: 300, confidence: 0.7, specialist: true },
      { source: "web", value: "Berlin", observedAt: 200, confidence: 0.95 },
    ];
    const { result, rt } = await runOnce([], async (_input, ctx) => ({
      fresher: (await ctx.resolve(candidates, "prefer-fresher-source")).winner,
      specialist: (await ctx.resolve(candidates, "prefer-specialist")).winner,
      majority: (await ctx.resolve(candidates, "majority")).value,
      confidence: (await ctx.resolve(candidates, "highest-confidence")).winner,
      custom: (await ctx.resolve(candidates, function alphabetical(list) { return [...list].sort((a, b) => a.source.localeCompare(b.source))[0]!; })).winner,
      agreed: (await ctx.resolve([{ source: "a", value: 1 }, { source: "b", value: 1 }], "majority")).conflict,
    }));
    expect(result.output).toEqual({ fresher: "registry", specialist: "registry", majority: "Berlin", confidence: "web", custom: "crm", agreed: false });
    const conflicts = (await auditKinds(rt.store, result.runId)).filter((record) => record.kind === "conflict.resolved");
    expect(conflicts.map((record) => record.data.rule)).toEqual(["prefer-fresher-source", "prefer-specialist", "majority", "highest-confidence", "alphabetical"]);
  });

  it("confidence gate: a low-confidence output goes to the critic instead of downstream", async () => {
    const critic = defineAgent({ name: "critic", owner: "t", purpose: "t", input: z.any(), output: z.any(), run: (draft) => ({ ...draft, answer: `${draft.answer} (checked)`, confidence: 0.9 }) });
    const { result } = await runOnce([critic], async (_input, ctx) => [
      await ctx.gate({ answer: "42", confidence: 0.3 }, { threshold: 0.7, critic }),
      await ctx.gate({ answer: "7", confidence: 0.95 }, { threshold: 0.7, critic }),
    ]);
    expect(result.output).toEqual([
      { output: { answer: "42 (checked)", confidence: 0.9 }, gated: true, via: "critic" },
      { output: { answer: "7", confidence: 0.95 }, gated: false },
    ]);
  });

  it("a child workflow runs as its own run and cannot spend more than its carved budget", async () => {
    const meter = defineTool({ name: "meter", description: "costs 10 cents", input: z.object({ i: z.number() }), output: z.number(), price: usd(0.1), run: ({ i }) => i });
    const spender = defineAgent({
      name: "spender",
      owner: "t",
      purpose: "t",
      tools: [meter],
      grants: [{ scope: "tool:meter" }],
      input: z.object({ calls: z.number() }),
      output: z.object({ spent: z.number(), refused: z.number() }),
      run: async ({ calls }, context) => {
        let spent = 0;
        let refused = 0;
        for (let i = 0; i < calls; i += 1) await context.tools.call(meter, { i }).then(() => (spent += 1), () => (refused += 1));
        return { spent, refused };
      },
    });
    const child = defineWorkflow({ name: "child", input: z.object({ calls: z.number() }), output: z.any(), run: (input, ctx) => ctx.call(spender, input) });
    const parent = defineWorkflow({ name: "parent", input: z.object({}), output: z.any(), budget: { perRun: usd(2), allocation: usd(10) }, run: (_input, ctx) => ctx.call(child, { calls: 5 }, { budget: usd(0.3) }) });
    const rt = await open([spender], [parent, child]);
    const result = await (await rt.start(parent, {})).result();
    expect(result.output).toEqual({ spent: 3, refused: 2 });
    const children = await rt.listRuns({ parentRunId: result.runId });
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ workflow: "child", status: "completed", parentStepKey: "1:workflow:child" });
    const operator = openOperator({ store: rt.store });
    expect(await operator.runs.cost(children[0]!.id)).toMatchObject({ spentMicros: usd(0.3), charges: 3 });
    // The parent got its unspent money back: $2 − $0.30.
    expect((await operator.budgets.accounts({ runId: result.runId })).find((account) => account.id === `run:${result.runId}`)?.balanceMicros).toBe(0);
    expect((await operator.budgets.accounts()).find((account) => account.id === "workflow:parent")?.balanceMicros).toBe(usd(10) - usd(0.3));
  });

  it("a child workflow never uses grants wider than its parent gave it, even if its agents hold them", async () => {
    const read = defineTool({ name: "read-ledger", description: "read", input: z.object({}), output: z.string(), run: () => "rows" });
    const write = defineTool({ name: "write-ledger", description: "write", input: z.object({}), output: z.string(), run: () => "written" });
    const clerk = defineAgent({
      name: "clerk",
      owner: "t",
      purpose: "reads and writes the ledger",
      tools: [read, write],
      grants: [{ scope: "tool:read-ledger" }, { scope: "tool:write-ledger" }],
      input: z.object({}),
      output: z.array(z.string()),
      run: async (_input, context) => Promise.all([read, write].map((tool) => context.tools.call(tool, {}).then(String, (error: { code: string }) => error.code))),
    });
    const child = defineWorkflow({ name: "bookkeeping", input: z.object({}), output: z.any(), run: (input, ctx) => ctx.call(clerk, input) });
    const grandchild = defineWorkflow({ name: "nested", input: z.object({}), output: z.any(), run: (input, ctx) => ctx.call(child, input, { grants: [{ scope: "tool:*" }] }) });
    const parent = defineWorkflow({
      name: "audit-parent",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => ({
        unrestricted: await ctx.call(child, {}),
        readOnly: await ctx.call(child, {}, { grants: [{ scope: "tool:read-ledger" }] }),
        widening: await ctx.call(grandchild, {}, { grants: [{ scope: "tool:read-ledger" }] }).then(String, (error: { code: string; message: string }) => `${error.code}: ${error.message}`),
      }),
    });
    const rt = await open([clerk], [parent, child, grandchild]);
    const result = await (await rt.start(parent, {})).result();
    const output = result.output as { unrestricted: string[]; readOnly: string[]; widening: string };
    expect(output.unrestricted).toEqual(["rows", "written"]);
    expect(output.readOnly).toEqual(["rows", "PERMISSION_DENIED"]);
    expect(output.widening).toContain("PERMISSION_DENIED");
    expect(output.widening).toContain("cannot be given grants its parent run does not have");
    const denial = (await auditKinds(rt.store)).find((record) => record.kind === "gateway.deny" && String(record.data.reason).includes("given by its parent run"));
    expect(denial).toMatchObject({ agent: "clerk", data: { scope: "tool:write-ledger" } });
  });

  it("pub/sub: a run waiting for an event parks, survives a restart, and resumes when the event is published", async () => {
    const waiter = defineWorkflow({
      name: "waiter",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        await ctx.emit("order.placed", { id: 7 });
        const payment = await ctx.waitFor<{ amount: number }>("payment.received", { timeout: 60_000 });
        return { paid: payment.amount };
      },
    });
    const audit = defineWorkflow({ name: "audit-order", input: z.any(), output: z.any(), run: async (input) => ({ audited: input }) });
    location = await freshStoreLocation(dialect);
    const first = await Runtime.open({ store: location.location, workflows: [waiter, audit] });
    const parked = await (await first.start(waiter, {})).result();
    expect(parked.status).toBe("waiting");
    await first.close();

    runtime = await Runtime.open({ store: location.location, workflows: [waiter, audit] });
    expect((await runtime.getRun(parked.runId))?.status).toBe("waiting");
    runtime.subscribe("payment.received", audit);
    const handles = await runtime.publish("payment.received", { amount: 42 });
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.find((result) => result.runId === parked.runId)).toMatchObject({ status: "completed", output: { paid: 42 } });
    expect(results.find((result) => result.runId !== parked.runId)).toMatchObject({ status: "completed", output: { audited: { amount: 42 } } });
    const events = await runtime.store.db.selectFrom("events").select(["topic"]).orderBy("seq").execute();
    expect(events.map((event) => event.topic)).toEqual(["order.placed", "payment.received"]);
  });
});
