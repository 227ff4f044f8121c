import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashRecord, toAuditRecord } from "../../src/governance/audit-log.ts";
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

type Row = Record<string, unknown>;
/** The audit trail as a run left it: the log, the signed checkpoints and the head row. */
type Trail = { log: Row[]; checkpoints: Row[]; head: Row[] };
type SignedTamper = { name: string; apply(store: Store, trail: Trail): Promise<void>; reason: RegExp };

/** What an attacker with write access to the store (but not the key) can do: rewrite a record and re-hash everything after it. */
function rewrittenLog(trail: Trail, seq: number): Array<{ seq: number; data: string; prev_hash: string; hash: string }> {
  let prevHash = "";
  return trail.log.flatMap((row) => {
    const record = toAuditRecord(row as Parameters<typeof toAuditRecord>[0]);
    if (record.seq < seq) {
      prevHash = record.hash;
      return [];
    }
    const data = record.seq === seq ? { ...record.data, rewritten: true } : record.data;
    const hash = hashRecord(prevHash, { ...record, data });
    const rewritten = { seq: record.seq, data: JSON.stringify(data), prev_hash: prevHash, hash };
    prevHash = hash;
    return [rewritten];
  });
}

async function writeRewrittenLog(store: Store, trail: Trail, seq: number): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  for (const row of rewrittenLog(trail, seq)) {
    await store.db.updateTable("audit_log").set({ data: row.data, prev_hash: row.prev_hash, hash: row.hash }).where("seq", "=", row.seq).execute();
    hashes.set(row.seq, row.hash);
  }
  const last = Math.max(...hashes.keys());
  await sql`update cadre_meta set value = ${`${last}:${hashes.get(last)}`} where key = 'audit_head'`.execute(store.db);
  return hashes;
}

const deleteHead = (store: Store) => store.db.deleteFrom("cadre_meta").where("key", "=", "audit_head").execute();
const lastSeq = (trail: Trail) => Number(trail.log[trail.log.length - 1]!.seq);

const signedTampering: SignedTamper[] = [
  {
    name: "delete the last records together with the head row",
    apply: async (store, trail) => {
      await store.db.deleteFrom("audit_log").where("seq", ">", lastSeq(trail) - 3).execute();
      await deleteHead(store);
    },
    reason: /the chain head \(audit_head in cadre_meta\) is missing while the log holds/,
  },
  {
    name: "delete every record and the head row",
    apply: async (store) => {
      await store.db.deleteFrom("audit_log").execute();
      await deleteHead(store);
    },
    reason: /the log ends at record 0 but the store holds a signed checkpoint of record \d+: the tail was truncated/,
  },
  {
    name: "append a forged record with a valid hash past the head",
    apply: async (store, trail) => {
      const last = toAuditRecord(trail.log[trail.log.length - 1] as Parameters<typeof toAuditRecord>[0]);
      const forged = { ...last, seq: last.seq + 1, kind: "gateway.allow", data: { forged: true } };
      const hash = hashRecord(last.hash, forged);
      await store.db
        .insertInto("audit_log")
        .values({ seq: forged.seq, at: forged.at, kind: forged.kind, run_id: forged.runId, step_key: forged.stepKey, workflow: forged.workflow, agent: forged.agent, principal: forged.principal, data: JSON.stringify(forged.data), prev_hash: last.hash, hash })
        .execute();
    },
    reason: /record \d+ is past the head kept in cadre_meta/,
  },
  {
    name: "rewrite a record, every later hash and the head",
    apply: async (store) => void (await writeRewrittenLog(store, await snapshotTrail(store), 3)),
    reason: /does not have the hash its signed checkpoint in the store holds: the log was rewritten/,
  },
  {
    name: "rewrite a record, every later hash, the head and the checkpoints' hashes (without the key)",
    apply: async (store) => {
      const hashes = await writeRewrittenLog(store, await snapshotTrail(store), 3);
      for (const [seq, hash] of hashes) await store.db.updateTable("audit_checkpoints").set({ hash }).where("seq", "=", seq).execute();
    },
    reason: /signature that does not verify: it was forged or altered/,
  },
  {
    name: "delete every record, the head row and the checkpoints in the store",
    apply: async (store) => {
      await store.db.deleteFrom("audit_log").execute();
      await store.db.deleteFrom("audit_checkpoints").execute();
      await deleteHead(store);
    },
    reason: /the log ends at record 0 but \S+checkpoints\.jsonl holds a signed checkpoint of record \d+: the tail was truncated/,
  },
  {
    name: "truncate the tail, leaving the head row",
    apply: (store, trail) => store.db.deleteFrom("audit_log").where("seq", ">", lastSeq(trail) - 2).execute().then(() => {}),
    reason: /the log ends at record \d+ but \d+ were anchored: the tail was truncated/,
  },
];

async function snapshotTrail(store: Store): Promise<Trail> {
  return {
    log: await store.db.selectFrom("audit_log").selectAll().orderBy("seq").execute(),
    checkpoints: await store.db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute(),
    head: await store.db.selectFrom("cadre_meta").selectAll().where("key", "=", "audit_head").execute(),
  };
}

async function restoreTrail(store: Store, trail: Trail): Promise<void> {
  await store.db.deleteFrom("audit_log").execute();
  await store.db.deleteFrom("audit_checkpoints").execute();
  await deleteHead(store);
  await store.db.insertInto("audit_log").values(trail.log as never).execute();
  await store.db.insertInto("audit_checkpoints").values(trail.checkpoints as never).execute();
  await store.db.insertInto("cadre_meta").values(trail.head as never).execute();
}

describe.each(await dialects())("tampering after a signed checkpoint, through the CLI (%s)", (dialect) => {
  const config = join(import.meta.dirname, "../fixtures/audit/cadre.config.ts");
  let location: TestStoreLocation;
  let keys: string;
  let store: Store;
  let trail: Trail;
  const run = (...args: string[]) => cadre(["--store", location.location, "--config", config, ...args], { env: { CADRE_TEST_AUDIT_DIR: keys } });
  beforeAll(async () => {
    location = await freshStoreLocation(dialect);
    keys = mkdtempSync(join(tmpdir(), "cadre-audit-keys-"));
    const keygen = cadre(["audit", "keygen", "--out", keys]);
    expect(keygen.status).toBe(0);
    expect(keygen.stdout).toContain(`CADRE_AUDIT_KEY=${join(keys, "cadre-audit.key")}`);
    for (const text of ["one", "two"]) expect(run("run", "stamp", "--input", JSON.stringify({ text })).status).toBe(0);
    store = await openStore(location.location);
    trail = await snapshotTrail(store);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await location.cleanup();
  });

  it("every run end signed a checkpoint; verify checks both copies and exits 0", () => {
    expect(trail.checkpoints).toHaveLength(2);
    const result = run("audit", "verify");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`ok: ${trail.log.length} records, chain intact`);
    expect(result.stdout).toMatch(/2 checkpoints \(\+2 in the outside file\), latest at record \d+, signatures valid \(key [0-9a-f]{16}\); 0 records after it not yet anchored/);
    expect(JSON.parse(run("--json", "audit", "verify").stdout)).toMatchObject({ ok: true, records: trail.log.length, checkpoints: 2, outsideCheckpoints: 2, unanchored: 0, problems: [] });
  });

  it("cadre audit checkpoint is a no-op on a checkpointed head, and refuses without a key", () => {
    const again = JSON.parse(run("--json", "audit", "checkpoint").stdout);
    expect(again).toMatchObject({ seq: lastSeq(trail), created: false });
    const keyless = cadre(["--store", location.location, "audit", "checkpoint"], { env: { CADRE_AUDIT_KEY: "" } });
    expect(keyless.status).toBe(2);
    expect(keyless.stderr).toContain("error [AUDIT_KEY]");
  });

  it.each(signedTampering)("$name: exit 1 naming it", async (tamper) => {
    await restoreTrail(store, trail);
    await tamper.apply(store, trail);
    const result = run("audit", "verify");
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^broken at record \d+: /);
    expect(result.stdout).toMatch(tamper.reason);
    const json = run("--json", "audit", "verify");
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, records: expect.any(Number), checkpoints: expect.any(Number), unanchored: expect.any(Number), brokenAt: expect.any(Number), problems: expect.arrayContaining([expect.objectContaining({ reason: expect.stringMatching(tamper.reason) })]) });
  });

  it("an emptied store with its checkpoints deleted passes without the outside file and fails with it", async () => {
    await restoreTrail(store, trail);
    await signedTampering.find((tamper) => tamper.name.includes("checkpoints in the store"))!.apply(store, trail);
    const publicKey = join(keys, "cadre-audit.pub");
    const checkpointFile = join(keys, "checkpoints.jsonl");
    expect(existsSync(checkpointFile)).toBe(true);
    expect(cadre(["--store", location.location, "audit", "verify", "--public-key", publicKey]).status).toBe(0);
    const withFile = cadre(["--store", location.location, "audit", "verify", "--public-key", publicKey, "--checkpoints", checkpointFile]);
    expect(withFile.status).toBe(1);
    expect(withFile.stdout).toContain(`${checkpointFile} holds a signed checkpoint`);
  });
});
