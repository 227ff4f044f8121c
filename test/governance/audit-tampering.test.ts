import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime, openStore, usd, verifyAuditChain, type Store } from "../../src/index.ts";
import { cadre } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { burstAgent, burstWorkflow, paidTool } from "./fixtures.ts";

/** What a test knows of the untouched log: how many records, and the first one that records a reservation. */
type Log = { total: number; allowSeq: number };
type Tamper = { name: string; apply(store: Store, log: Log): Promise<void>; brokenAt(log: Log): number; reason: RegExp };

const tampering: Tamper[] = [
  {
    name: "flip a byte in a record",
    apply: (store, log) => sql`update audit_log set data = replace(data, '"attempt":1', '"attempt":2') where seq = ${log.allowSeq}`.execute(store.db).then(() => {}),
    brokenAt: (log) => log.allowSeq,
    reason: /changed after it was written/,
  },
  { name: "delete a record", apply: (store) => store.db.deleteFrom("audit_log").where("seq", "=", 4).execute().then(() => {}), brokenAt: () => 4, reason: /record 4 is missing/ },
  {
    name: "reorder two records",
    apply: async (store) => {
      await sql`update audit_log set seq = -1 where seq = 6`.execute(store.db);
      await sql`update audit_log set seq = 6 where seq = 7`.execute(store.db);
      await sql`update audit_log set seq = 7 where seq = -1`.execute(store.db);
    },
    brokenAt: () => 6,
    reason: /does not follow record 5/,
  },
  { name: "truncate the tail", apply: (store, log) => store.db.deleteFrom("audit_log").where("seq", ">", log.total - 3).execute().then(() => {}), brokenAt: (log) => log.total - 2, reason: /truncated/ },
];

async function produceRecords(location: string): Promise<Log> {
  const tool = paidTool();
  const agent = burstAgent(tool);
  const workflow = burstWorkflow(agent, { perRun: usd(0.05) });
  const runtime = await Runtime.open({ store: location, agents: [agent], workflows: [workflow] });
  await (await runtime.start(workflow, { count: 4 })).result();
  const verified = await verifyAuditChain(runtime.store.db);
  const allow = await runtime.store.db.selectFrom("audit_log").select("seq").where("kind", "=", "gateway.allow").orderBy("seq").executeTakeFirstOrThrow();
  await runtime.close();
  if (!verified.ok) throw new Error("the fresh chain should verify");
  return { total: verified.records, allowSeq: Number(allow.seq) };
}

describe("audit tampering through the CLI (SQLite)", () => {
  let original: string;
  let log: Log;
  beforeAll(async () => {
    original = join(mkdtempSync(join(tmpdir(), "cadre-audit-")), "original.db");
    log = await produceRecords(original);
    expect(log.total).toBeGreaterThan(10);
  });

  it("verifies an untouched chain with exit 0", () => {
    const result = cadre(["--store", original, "audit", "verify"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${log.total} records, chain intact`);
  });

  it.each(tampering)("detects: $name, naming the right record with exit 1", async (tamper) => {
    const copy = join(mkdtempSync(join(tmpdir(), "cadre-tampered-")), "tampered.db");
    copyFileSync(original, copy);
    const store = await openStore(copy);
    await tamper.apply(store, log);
    await store.close();
    const result = cadre(["--store", copy, "audit", "verify"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`broken at record ${tamper.brokenAt(log)}`);
    expect(result.stdout).toMatch(tamper.reason);
    const json = JSON.parse(cadre(["--store", copy, "--json", "audit", "verify"]).stdout);
    expect(json).toMatchObject({ ok: false, brokenAt: tamper.brokenAt(log) });
  });

  it("exports every record as JSON lines with its hashes", () => {
    const lines = cadre(["--store", original, "audit", "export", "--jsonl"]).stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(log.total);
    expect(lines[0]).toMatchObject({ seq: 1, kind: "agent.registered", agent: "spender", prevHash: "0".repeat(64) });
    expect(lines.map((line) => line.kind)).toContain("run.start");
    expect(lines[1].prevHash).toBe(lines[0].hash);
  });
});

describe.runIf((await dialects()).includes("postgres"))("audit tampering on PostgreSQL", () => {
  let location: TestStoreLocation;
  let store: Store;
  let log: Log;
  let snapshot: Array<Record<string, unknown>>;
  beforeAll(async () => {
    location = await freshStoreLocation("postgres");
    log = await produceRecords(location.location);
    store = await openStore(location.location);
    snapshot = await store.db.selectFrom("audit_log").selectAll().execute();
  });
  afterAll(async () => {
    await store.close();
    await location.cleanup();
  });

  it.each(tampering)("detects: $name", async (tamper) => {
    await store.db.deleteFrom("audit_log").execute();
    await store.db.insertInto("audit_log").values(snapshot as never).execute();
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
    await tamper.apply(store, log);
    const result = await verifyAuditChain(store.db);
    expect(result).toMatchObject({ ok: false, brokenAt: tamper.brokenAt(log) });
    if (!result.ok) expect(result.reason).toMatch(tamper.reason);
  });
});
