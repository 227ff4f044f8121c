import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime, openStore, usd, verifyCredential, type Store } from "../../src/index.ts";
import { cadre } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds, burstAgent, burstWorkflow, paidTool } from "./fixtures.ts";

/** The governance commands through the built CLI, against a store a real run has written to. */
describe.each(await dialects())("governance CLI on %s", (dialect) => {
  let location: TestStoreLocation;
  let runId: string;
  const run = (...args: string[]) => cadre(["--store", location.location, ...args], { env: { CADRE_PRINCIPAL: "ops@example.com" } });
  const json = (...args: string[]) => {
    const result = run("--json", ...args);
    if (result.status !== 0) throw new Error(`cadre ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const runtime = await Runtime.open({ store: location.location });
    try {
      return await work(runtime.store);
    } finally {
      await runtime.close();
    }
  };

  beforeAll(async () => {
    location = await freshStoreLocation(dialect);
    const agent = { ...burstAgent(paidTool()), risk: "high" as const, dataAccess: "confidential" as const, reviewEveryDays: 30, modelVersion: "scripted-1" };
    const workflow = burstWorkflow(agent, { perRun: usd(0.05) });
    const runtime = await Runtime.open({ store: location.location, agents: [agent], workflows: [workflow] });
    const result = await (await runtime.start(workflow, { count: 3 })).result();
    runId = result.runId;
    await runtime.close();
  });
  afterAll(async () => location?.cleanup());

  it("cadre agents lists the inventory with spend, without loading any user code", () => {
    const [row] = json("agents");
    expect(row).toMatchObject({ name: "spender", owner: "tests", risk: "high", dataAccess: "confidential", model: "scripted-1", version: 1, status: "active", lastReviewedAt: null, reviewOverdue: false, spentMicros: usd(0.03) });
    expect(row.reviewDueAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const table = run("agents");
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/spender\s+tests\s+high\s+confidential\s+scripted-1\s+active/);
    expect(table.stdout).toContain("$0.03");
  });

  it("revoke, restore and review change the agent, answer with its row under --json, and are audited with the principal", async () => {
    expect(json("agents", "revoke", "spender", "--reason", "leaked key")).toMatchObject({ name: "spender", status: "revoked" });
    expect(json("agents", "restore", "spender")).toMatchObject({ name: "spender", status: "active" });
    const reviewed = json("agents", "review", "spender", "--note", "quarterly");
    expect(reviewed.lastReviewedAt).toBeGreaterThan(Date.now() - 60_000);
    const records = await withStore((store) => auditKinds(store));
    const operator = records.filter((record) => record.kind.startsWith("agent.") && record.kind !== "agent.registered");
    expect(operator.map((record) => [record.kind, record.data])).toEqual([
      ["agent.revoked", { reason: "leaked key" }],
      ["agent.restored", { reason: null }],
      ["agent.reviewed", { note: "quarterly" }],
    ]);
    const principals = await withStore((store) => store.db.selectFrom("audit_log").select("principal").where("kind", "in", ["agent.revoked", "agent.restored", "agent.reviewed"]).execute());
    expect(new Set(principals.map((row) => row.principal))).toEqual(new Set(["ops@example.com"]));
  });

  it("an unknown agent is a usage error naming it", () => {
    const result = run("agents", "revoke", "nobody");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('No agent named "nobody"');
  });

  it("cadre spend attributes every charge by agent, tool, run and day", () => {
    expect(json("spend")).toEqual([{ key: "spender", calls: 3, spentMicros: usd(0.03), inputTokens: 0, outputTokens: 0 }]);
    expect(json("spend", "--by", "tool")).toEqual([{ key: "paid", calls: 3, spentMicros: usd(0.03), inputTokens: 0, outputTokens: 0 }]);
    expect(json("spend", "--by", "run", "--agent", "spender")).toEqual([{ key: runId, calls: 3, spentMicros: usd(0.03), inputTokens: 0, outputTokens: 0 }]);
    expect(json("spend", "--by", "day", "--run", runId)).toEqual([{ key: new Date().toISOString().slice(0, 10), calls: 3, spentMicros: usd(0.03), inputTokens: 0, outputTokens: 0 }]);
    expect(json("spend", "--run", "run_unknown")).toEqual([]);
    expect(run("spend", "--by", "week").status).toBe(2);
  });

  it("cadre keys: the secret is printed once, rotation and revocation invalidate it", async () => {
    const created = run("keys", "create", "spender");
    expect(created.status).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^cadre_[0-9a-f]{8}_\S+$/);
    expect(created.stderr).toContain("shown only once");
    const listed = json("keys", "list", "spender");
    expect(JSON.stringify(listed)).not.toContain(secret.slice(15));
    const rotated = json("keys", "rotate", "spender");
    const verify = (presented: string) => withStore((store) => store.transaction((tx) => verifyCredential(tx, { secret: presented, now: Date.now() })));
    expect(await verify(secret)).toBeNull();
    expect(await verify(rotated.secret)).toBe("spender");
    expect(json("keys", "revoke", "spender")).toEqual({ agent: "spender", revoked: 1 });
    expect(await verify(rotated.secret)).toBeNull();
    expect(json("keys", "list", "spender").map((key: { revoked_at: number | null }) => key.revoked_at !== null)).toEqual([true, true]);
  });

  it("cadre grants lists, adds and revokes grants", () => {
    const declared = json("grants", "spender");
    expect(declared).toMatchObject([{ scope: "tool:paid", resource: "*", kind: "declared", revokedAt: null }]);
    const added = json("grants", "spender", "--add", "tool:export", "--resource", "reports/*", "--max-uses", "2", "--expires", "2099-01-01T00:00:00Z");
    const manual = added.find((grant: { kind: string }) => grant.kind === "manual");
    expect(manual).toMatchObject({ scope: "tool:export", resource: "reports/*", maxUses: 2, uses: 0, expiresAt: Date.parse("2099-01-01T00:00:00Z") });
    const revoked = json("grants", "spender", "--revoke", manual.id);
    expect(revoked.find((grant: { id: string }) => grant.id === manual.id).revokedAt).not.toBeNull();
    expect(run("grants", "spender", "--revoke", manual.id).status).toBe(2);
    expect(run("grants", "spender", "--add", "tool:x", "--max-uses", "0").status).toBe(2);
  });

  it("cadre budget fund deposits into the treasury or a workflow and shows the accounts", () => {
    const funded = json("budget", "fund", "25", "--workflow", "burst");
    expect(funded).toMatchObject({ fundedMicros: usd(25), workflow: "burst" });
    const workflowAccount = funded.accounts.find((account: { id: string }) => account.id === "workflow:burst");
    // $100 first allocation, $0.03 spent by the run, $25 more now.
    expect(workflowAccount).toMatchObject({ kind: "workflow", balanceMicros: usd(125) - usd(0.03), reservedMicros: 0 });
    expect(run("budget", "fund", "-3").status).toBe(2);
    expect(run("budget", "fund", "0.0000001").status).toBe(2);
    const accounts = json("budget", "--run", runId);
    expect(accounts.find((account: { id: string }) => account.id === `run:${runId}`)).toMatchObject({ balanceMicros: 0, reservedMicros: 0, spentMicros: usd(0.03) });
  });

  it("after all of it, cadre audit verify still passes", () => {
    const result = run("audit", "verify");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("chain intact");
  });
});

describe.each(await dialects())("blocking overdue reviews from cadre.config.ts on %s", (dialect) => {
  const config = join(import.meta.dirname, "../fixtures/governance-cli/cadre.config.ts");
  let location: TestStoreLocation;
  const run = (...args: string[]) => cadre(["--store", location.location, "--config", config, ...args]);
  afterAll(async () => location?.cleanup());

  it("a high-risk agent past its review date is refused until someone reviews it", async () => {
    location = await freshStoreLocation(dialect);
    expect(run("--json", "run", "score", "--input", '{"applicant":"A-1"}')).toMatchObject({ status: 0 });
    // Forty days pass without a review.
    const store = await openStore(location.location);
    await store.db.updateTable("agents").set({ created_at: Date.now() - 40 * 86_400_000 }).where("name", "=", "scorer").execute();
    await store.close();
    const refused = run("--json", "run", "score", "--input", '{"applicant":"A-2"}');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: "failed", error: { code: "REVIEW_OVERDUE", details: { agent: "scorer" } } });
    expect(JSON.parse(run("--json", "agents").stdout)).toMatchObject([{ name: "scorer", reviewOverdue: true, spentMicros: usd(0.5) }]);
    expect(run("agents", "review", "scorer").status).toBe(0);
    expect(JSON.parse(run("--json", "run", "score", "--input", '{"applicant":"A-3"}').stdout)).toMatchObject({ status: "completed", output: 710 });
  });
});
