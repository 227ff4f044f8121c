import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, setAgentStatus, usd, type Agent, type Workflow } from "../../src/index.ts";
import { issueCredential, revokeAgentCredentials, verifyCredential } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds, paidTool } from "./fixtures.ts";

describe.each(await dialects())("least privilege on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  const open = async (agents: Agent[], workflows: Workflow[], options: { now?: () => number } = {}) => {
    location = await freshStoreLocation(dialect);
    runtime = await Runtime.open({ store: location.location, agents, workflows, ...options });
    return runtime;
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  const caller = (name: string, tool: ReturnType<typeof paidTool>, grants: Agent["grants"]) =>
    defineAgent({
      name,
      owner: "tests",
      purpose: "calls one tool a number of times",
      tools: [tool],
      grants,
      input: z.object({ times: z.number() }),
      output: z.array(z.string()),
      run: async ({ times }, context) => {
        const outcomes: string[] = [];
        for (let i = 0; i < times; i += 1) {
          try {
            await context.tools.call(tool, { i });
            outcomes.push("ok");
          } catch (error) {
            outcomes.push((error as { code: string }).code);
          }
        }
        return outcomes;
      },
    });
  const flow = (agent: Agent, extra: Partial<{ grants: Agent["grants"] }> = {}) =>
    defineWorkflow({ name: "flow", input: z.object({ times: z.number() }), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => ctx.call(agent, input, { grants: extra.grants }) });

  it("denies a call outside the agent's grants and audits the denial", async () => {
    const tool = paidTool({ name: "payments", price: 0 });
    const agent = caller("reader", tool, [{ scope: "tool:reports" }]);
    const rt = await open([agent], [flow(agent)]);
    const result = await (await rt.start("flow", { times: 1 })).result();
    expect(result.output).toEqual(["PERMISSION_DENIED"]);
    const deny = (await auditKinds(rt.store, result.runId)).find((record) => record.kind === "gateway.deny");
    expect(deny).toMatchObject({ agent: "reader", data: { code: "PERMISSION_DENIED", scope: "tool:payments" } });
    const steps = await rt.getSteps(result.runId);
    expect(steps.find((step) => step.type === "tool")).toMatchObject({ status: "failed", error: { code: "PERMISSION_DENIED" } });
  });

  it("denies an expired grant and a used-up grant", async () => {
    const tool = paidTool({ name: "lookup", price: 0 });
    const limited = caller("limited", tool, [{ scope: "tool:lookup", maxUses: 2 }]);
    const expired = caller("expired", tool, [{ scope: "tool:lookup", expiresAt: Date.parse("2020-01-01") }]);
    const both = defineWorkflow({
      name: "both",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => [await ctx.call(limited, { times: 3 }), await ctx.call(expired, { times: 1 })],
    });
    const rt = await open([limited, expired], [both]);
    const result = await (await rt.start(both, {})).result();
    expect(result.output).toEqual([["ok", "ok", "PERMISSION_DENIED"], ["PERMISSION_DENIED"]]);
    const reasons = (await auditKinds(rt.store, result.runId)).filter((record) => record.kind === "gateway.deny").map((record) => String(record.data.reason));
    expect(reasons[0]).toContain("used up");
    expect(reasons[1]).toContain("expired");
  });

  it("a just-in-time grant lives only for its step", async () => {
    const tool = paidTool({ name: "export", price: 0 });
    const agent = caller("exporter", tool, []);
    const workflow = defineWorkflow({
      name: "jit",
      input: z.object({}),
      output: z.any(),
      run: async (_input, ctx) => [await ctx.call(agent, { times: 1 }, { grants: [{ scope: "tool:export" }] }), await ctx.call(agent, { times: 1 })],
    });
    const rt = await open([agent], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    expect(result.output).toEqual([["ok"], ["PERMISSION_DENIED"]]);
    const kinds = (await auditKinds(rt.store, result.runId)).map((record) => record.kind);
    expect(kinds).toContain("grant.issued");
    expect(kinds).toContain("grant.revoked");
  });

  it("a sub-agent never receives more than the agent delegating to it holds", async () => {
    const exportTool = paidTool({ name: "export", price: 0 });
    const payments = paidTool({ name: "payments", price: 0 });
    const worker = defineAgent({
      name: "worker",
      owner: "tests",
      purpose: "does what it is allowed to",
      tools: [exportTool, payments],
      input: z.object({ tool: z.string() }),
      output: z.string(),
      run: async ({ tool }, context) => (await context.tools.call(tool, { i: 1 }), `used ${tool}`),
    });
    const orchestrator = defineAgent({
      name: "orchestrator",
      owner: "tests",
      purpose: "delegates with just-in-time grants",
      grants: [{ scope: "tool:export" }],
      input: z.object({}),
      output: z.array(z.string()),
      run: async (_input, context) => [
        await context.call(worker, { tool: "export" }, { grants: [{ scope: "tool:export" }] }),
        await context.call(worker, { tool: "payments" }, { grants: [{ scope: "tool:payments" }] }).catch((error: { code: string; message: string }) => `${error.code}: ${error.message}`),
      ],
    });
    const workflow = defineWorkflow({ name: "delegation", input: z.object({}), output: z.any(), run: (_input, ctx) => ctx.call(orchestrator, {}) });
    const rt = await open([orchestrator, worker], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    const [allowed, refused] = result.output as string[];
    expect(allowed).toBe("used export");
    expect(refused).toContain("PERMISSION_DENIED");
    expect(refused).toContain('cannot pass to sub-agent "worker" a grant it does not hold itself');
    const steps = await rt.getSteps(result.runId);
    expect(steps.map((step) => step.key)).toContain("1.t/1:worker");
    const denial = (await auditKinds(rt.store, result.runId)).find((record) => record.kind === "gateway.deny" && record.agent === "worker");
    expect(denial?.data).toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("a revoked agent's next call is denied mid-run while its siblings keep running", async () => {
    const tool = paidTool({ name: "feed", price: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reachedGate!: () => void;
    const atGate = new Promise<void>((resolve) => (reachedGate = resolve));
    const rogue = defineAgent({
      name: "rogue",
      owner: "tests",
      purpose: "calls, waits, calls again",
      tools: [tool],
      grants: [{ scope: "tool:feed" }],
      input: z.object({}),
      output: z.any(),
      run: async (_input, context) => {
        await context.tools.call(tool, { i: 1 });
        reachedGate();
        await gate;
        return context.tools.call(tool, { i: 2 });
      },
    });
    const sibling = caller("sibling", tool, [{ scope: "tool:feed" }]);
    const workflow = defineWorkflow({
      name: "revocation",
      input: z.object({}),
      output: z.any(),
      run: (_input, ctx) => ctx.parallel([(branch) => branch.call(rogue, {}), (branch) => branch.call(sibling, { times: 3 })], { minSuccess: 1 }),
    });
    const rt = await open([rogue, sibling], [workflow]);
    const handle = await rt.start(workflow, {});
    await atGate;
    await setAgentStatus({ store: rt.store, principal: "security" }, { agent: "rogue", status: "revoked", reason: "suspicious spending" });
    release();
    const result = await handle.result();
    expect(result.status).toBe("partial");
    const output = result.output as { results: Array<{ ok: boolean; value?: unknown; error?: { code: string } }> };
    expect(output.results[0]).toMatchObject({ ok: false, error: { code: "AGENT_REVOKED" } });
    expect(output.results[1]).toMatchObject({ ok: true, value: ["ok", "ok", "ok"] });
    const records = await auditKinds(rt.store);
    expect(records.find((record) => record.kind === "agent.revoked")).toMatchObject({ agent: "rogue", data: { reason: "suspicious spending" } });
    expect(records.find((record) => record.kind === "gateway.deny" && record.agent === "rogue")?.data).toMatchObject({ code: "AGENT_REVOKED" });
  });

  it("blocks a high-risk agent whose review is overdue when configured to", async () => {
    const tool = paidTool({ name: "model", price: 0 });
    const risky = defineAgent({ ...caller("risky", tool, [{ scope: "tool:model" }]), risk: "high", reviewEveryDays: 30 });
    const later = Date.now() + 40 * 86_400_000;
    location = await freshStoreLocation(dialect);
    const first = await Runtime.open({ store: location.location, agents: [risky], workflows: [flow(risky)] });
    await first.close();
    runtime = await Runtime.open({ store: location.location, agents: [risky], workflows: [flow(risky)], now: () => later, blockOverdueReviews: true });
    const result = await (await runtime.start("flow", { times: 1 })).result();
    expect(result.error).toMatchObject({ code: "REVIEW_OVERDUE" });
  });

  it("credentials: the secret is shown once, only its hash is stored, rotation and revocation invalidate it", async () => {
    const tool = paidTool({ name: "noop", price: 0 });
    const agent = caller("holder", tool, []);
    const rt = await open([agent], [flow(agent)]);
    const admin = { store: rt.store, principal: "ops" };
    const first = await issueCredential(admin, { agent: "holder" });
    expect(first.secret).toMatch(/^cadre_[0-9a-f]{8}_/);
    const stored = await rt.store.db.selectFrom("credentials").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(first.secret);
    expect(await rt.store.transaction((tx) => verifyCredential(tx, { secret: first.secret, now: Date.now() }))).toBe("holder");
    const rotated = await issueCredential(admin, { agent: "holder", rotate: true });
    expect(await rt.store.transaction((tx) => verifyCredential(tx, { secret: first.secret, now: Date.now() }))).toBeNull();
    expect(await rt.store.transaction((tx) => verifyCredential(tx, { secret: rotated.secret, now: Date.now() }))).toBe("holder");
    expect(await revokeAgentCredentials(admin, { agent: "holder" })).toBe(1);
    expect(await rt.store.transaction((tx) => verifyCredential(tx, { secret: rotated.secret, now: Date.now() }))).toBeNull();
    expect(await rt.store.transaction((tx) => verifyCredential(tx, { secret: "cadre_00000000_forged", now: Date.now() }))).toBeNull();
  });
});
