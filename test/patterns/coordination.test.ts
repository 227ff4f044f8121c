import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, decideApproval, defineAgent, defineWorkflow, type Agent, type HandoffDecision, type Workflow } from "../../src/index.ts";
import { createScriptedModel } from "../../src/testing/index.ts";
import { auditKinds } from "../governance/fixtures.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const agent = <O>(name: string, run: (input: any) => O | Promise<O>): Agent<any, O> => defineAgent({ name, owner: "tests", purpose: name, input: z.any(), output: z.any(), run }) as Agent<any, O>;

describe.each(await dialects())("coordination patterns, edges and replay, on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  const run = async (agents: Agent[], body: Workflow["run"], input: unknown = {}) => {
    const workflow = defineWorkflow({ name: "pattern", input: z.any(), output: z.any(), run: body });
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents, workflows: [workflow] });
    return { result: await (await runtime.start(workflow, input)).result(), rt: runtime };
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  it("refine: stops as soon as the critic accepts, feeding each critique back to the producer", async () => {
    const seen: unknown[] = [];
    const producer = agent("producer", ({ feedback, round }) => (seen.push(feedback), `draft ${round}`));
    const critic = agent("critic", ({ round }) => ({ score: round === 2 ? 95 : 40, feedback: `fix section ${round}` }));
    const { result, rt } = await run([producer, critic], (_input, ctx) => ctx.refine({ producer, critic, accept: (critique) => critique.score >= 90, maxRounds: 5, input: "memo" }));
    expect(result.output).toEqual({ accepted: true, rounds: 2, output: "draft 2", critique: { score: 95, feedback: "fix section 2" } });
    expect(seen).toEqual([null, "fix section 1"]);
    expect((await auditKinds(rt.store, result.runId)).find((record) => record.kind === "refine.end")?.data).toMatchObject({ accepted: true, rounds: 2, maxRounds: 5 });
  });

  it("loops without a usable hard cap are refused with a CONFIGURATION error before any agent runs", async () => {
    let calls = 0;
    const worker = agent("worker", () => (calls += 1, "x"));
    const { result } = await run([worker], async (_input, ctx) => {
      const codes = [];
      for (const attempt of [
        () => ctx.refine({ producer: worker, critic: worker as never, accept: () => false, maxRounds: 0, input: {} }),
        () => ctx.groupChat({ agents: [worker], topic: "t", maxRounds: Number.POSITIVE_INFINITY }),
        () => ctx.handoff({ start: worker as never, peers: [], input: {}, maxHandoffs: -1 }),
        () => ctx.resolve([], "majority"),
      ]) {
        codes.push(await attempt().then(() => "ran", (error: { code: string; details: { pattern: string } }) => `${error.details.pattern}:${error.code}`));
      }
      return codes;
    });
    expect(result.output).toEqual(["refine:CONFIGURATION", "group-chat:CONFIGURATION", "handoff:CONFIGURATION", "resolve:CONFIGURATION"]);
    expect(calls).toBe(0);
  });

  it("handoff: a longer cycle that is not a ping-pong is cut off by maxHandoffs", async () => {
    const calls: string[] = [];
    const ring = ["intake", "billing", "legal"].map((name, index, names) =>
      agent(name, (): HandoffDecision => (calls.push(name), { handoff: names[(index + 1) % names.length]!, reason: `${name} passes it on`, input: {} })),
    );
    const { result } = await run(ring, (_input, ctx) => ctx.handoff({ start: ring[0]!, peers: ring.slice(1), input: {}, maxHandoffs: 4 }));
    expect(result.error).toMatchObject({ code: "LOOP_LIMIT", details: { maxHandoffs: 4, path: ["intake", "billing", "legal", "intake", "billing", "legal"] } });
    // The fifth handoff was refused: the agent it named never ran.
    expect(calls).toEqual(["intake", "billing", "legal", "intake", "billing"]);
  });

  it("handoff: naming a peer that is not in the mesh is an INVALID_OUTPUT of that agent", async () => {
    const lost = agent("lost", (): HandoffDecision => ({ handoff: "nobody", reason: "?", input: {} }));
    const { result } = await run([lost], (_input, ctx) => ctx.handoff({ start: lost, peers: [], input: {} }));
    expect(result.error).toMatchObject({ code: "INVALID_OUTPUT", details: { agent: "lost", to: "nobody", peers: ["lost"] } });
  });

  it("group chat: a selector picks each speaker and `until` ends the chat before the cap", async () => {
    const selector = agent("moderator", ({ transcript }) => (transcript.length === 0 ? "analyst" : "skeptic"));
    const analyst = agent("analyst", () => "ship it");
    const skeptic = agent("skeptic", ({ transcript }) => `agreed after ${transcript.length}`);
    const { result } = await run([selector, analyst, skeptic], (_input, ctx) =>
      ctx.groupChat({ agents: [analyst, skeptic], selector, topic: "release?", maxRounds: 6, until: (transcript) => transcript.at(-1)!.text.startsWith("agreed") }),
    );
    expect(result.output).toEqual({ finished: true, transcript: [{ agent: "analyst", text: "ship it" }, { agent: "skeptic", text: "agreed after 1" }] });
  });

  it("group chat: a selector naming someone outside the chat is an INVALID_OUTPUT", async () => {
    const selector = agent("moderator", () => "ghost");
    const analyst = agent("analyst", () => "hi");
    const { result } = await run([selector, analyst], (_input, ctx) => ctx.groupChat({ agents: [analyst], selector, topic: "t", maxRounds: 2 }));
    expect(result.error).toMatchObject({ code: "INVALID_OUTPUT", details: { agent: "moderator", chosen: "ghost", candidates: ["analyst"] } });
  });

  it("route: a low-confidence classification goes to the fallback, and the audit says why", async () => {
    const classifier = defineAgent({ name: "classifier", owner: "t", purpose: "t", input: z.any(), output: z.object({ route: z.string(), confidence: z.number() }), run: () => ({ route: "billing", confidence: 0.4 }) });
    const billing = agent("billing", () => "billing");
    const human = agent("human-desk", () => "human desk");
    const { result, rt } = await run([classifier, billing, human], async (input, ctx) => ({
      routed: await ctx.route(classifier, { billing, human }, input, { minConfidence: 0.7, fallback: "human" }),
      unrouted: await ctx.route(classifier, { tech: billing }, input).then(String, (error: { code: string }) => error.code),
    }));
    expect(result.output).toMatchObject({ routed: { route: "human", output: "human desk", classification: { route: "billing", confidence: 0.4 } }, unrouted: "INVALID_OUTPUT" });
    const decisions = (await auditKinds(rt.store, result.runId)).filter((record) => record.kind === "route.decision");
    expect(decisions.map((record) => record.data)).toEqual([
      expect.objectContaining({ route: "billing", confidence: 0.4, chosen: "human", lowConfidence: true }),
      expect.objectContaining({ route: "billing", chosen: null, lowConfidence: false }),
    ]);
  });

  it("resolve: the resolution is journaled, so a resumed run keeps the winner even if the rule would now choose differently", async () => {
    const picks: string[] = [];
    let calls = 0;
    const flaky = function coinFlip<T>(candidates: Array<{ source: string; value: T }>) {
      calls += 1;
      return candidates[calls === 1 ? 0 : 1]!;
    };
    const workflow = defineWorkflow({
      name: "resolver",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        const resolution = await ctx.resolve([{ source: "crm", value: "Berlin" }, { source: "registry", value: "Munich" }], flaky);
        picks.push(resolution.winner);
        await ctx.approval("confirm");
        return resolution;
      },
    });
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, workflows: [workflow] });
    const parked = await (await runtime.start(workflow, {})).result();
    await decideApproval(runtime.store, { runId: parked.runId, name: "confirm", approved: true, by: "ivy" });
    const done = await (await runtime.resume(parked.runId)).result();
    expect(done.output).toEqual({ value: "Berlin", winner: "crm", rule: "coinFlip", conflict: true });
    expect(picks).toEqual(["crm", "crm"]);
    expect(calls).toBe(1);
    expect((await auditKinds(runtime.store, parked.runId)).filter((record) => record.kind === "conflict.resolved")).toHaveLength(1);
  });

  it("blackboard: a write whose commit landed before a crash is recognised as its own on resume, not as a conflict", async () => {
    const workflow = defineWorkflow({
      name: "writer",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        const written = await ctx.board.write("plan", { steps: 3 }, { expectedVersion: 0, writer: "planner" });
        return { written, entry: await ctx.board.read("plan") };
      },
    });
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, workflows: [workflow] });
    const first = await (await runtime.start(workflow, {})).result();
    expect(first.output).toMatchObject({ written: { version: 1 } });
    // The state a crash leaves: the entry committed, the step's end never journaled, the run interrupted.
    await runtime.store.db.updateTable("steps").set({ status: "started", output: null, ended_at: null }).where("run_id", "=", first.runId).where("key", "=", "1:board:write:plan").execute();
    await runtime.store.db.deleteFrom("steps").where("run_id", "=", first.runId).where("key", "=", "2:board:read:plan").execute();
    await runtime.store.db.updateTable("runs").set({ status: "running", output: null }).where("id", "=", first.runId).execute();

    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: { written: { version: 1 }, entry: { value: { steps: 3 }, version: 1, writer: "planner" } } });
    expect((await runtime.getSteps(first.runId)).find((step) => step.key === "1:board:write:plan")).toMatchObject({ attempt: 2, status: "completed" });
  });

  it("blackboard: a retried write that finds someone else's entry still reports the conflict", async () => {
    const workflow = defineWorkflow({
      name: "writer",
      input: z.object({}),
      output: z.any(),
      run: (_input, ctx) => ctx.board.write("plan", { steps: 3 }, { expectedVersion: 0, writer: "planner" }).then(() => "won", (error: { code: string; details: unknown }) => ({ code: error.code, details: error.details })),
    });
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, workflows: [workflow] });
    const first = await (await runtime.start(workflow, {})).result();
    await runtime.store.db.updateTable("board_entries").set({ writer: "rival", value: JSON.stringify({ steps: 9 }) }).where("run_id", "=", first.runId).execute();
    await runtime.store.db.updateTable("steps").set({ status: "started", output: null, ended_at: null }).where("run_id", "=", first.runId).execute();
    await runtime.store.db.updateTable("runs").set({ status: "running", output: null }).where("id", "=", first.runId).execute();
    const resumed = await (await runtime.resume(first.runId)).result();
    expect(resumed.output).toMatchObject({ code: "CONFLICT", details: { key: "plan", expectedVersion: 0, actualVersion: 1, writer: "planner" } });
  });

  it("refine with a model-backed critic: the critic's verdicts are journaled model calls, not repeated when the run resumes", async () => {
    const model = createScriptedModel({ provider: "test", modelId: "critic", script: [{ json: { score: 55, feedback: "cite a source" } }, { json: { score: 92, feedback: "good" } }] });
    const critic = defineAgent({
      name: "model-critic",
      owner: "tests",
      purpose: "scores drafts",
      model: "test:critic",
      instructions: "Score the draft from 0 to 100 and say what to fix.",
      // What refine() sends a critic: the task, the draft and the round.
      input: z.object({ task: z.string(), draft: z.string(), round: z.number() }),
      output: z.object({ score: z.number(), feedback: z.string() }),
    });
    const producer = agent("writer", ({ feedback }) => (feedback ? "draft citing the 2024 survey" : "first draft"));
    const workflow = defineWorkflow({
      name: "memo",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => {
        const refined = await ctx.refine({ producer, critic, accept: (critique) => critique.score >= 90, maxRounds: 3, input: "memo" });
        await ctx.approval("publish");
        return refined;
      },
    });
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents: [producer, critic], workflows: [workflow], models: { instances: { "test:critic": model }, prices: { "test:critic": { inputPerMillion: 0, outputPerMillion: 0 } } } });
    const parked = await (await runtime.start(workflow, {})).result();
    expect(parked.status).toBe("waiting");
    await decideApproval(runtime.store, { runId: parked.runId, name: "publish", approved: true, by: "joy" });
    // The script holds two answers only: a third model call would fail the run.
    const done = await (await runtime.resume(parked.runId)).result();
    expect(done).toMatchObject({ status: "completed", output: { accepted: true, rounds: 2, output: "draft citing the 2024 survey", critique: { score: 92 } } });
    expect((await runtime.getSteps(parked.runId)).filter((step) => step.type === "model")).toHaveLength(2);
  });
});
