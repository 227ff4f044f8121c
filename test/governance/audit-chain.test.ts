import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { appendAudit, hashRecord, toAuditRecord } from "../../src/governance/audit-log.ts";
import { openStore, verifyAuditChain, type Store } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const appender = join(import.meta.dirname, "../fixtures/audit-appender.ts");

async function append(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await store.transaction((tx) => appendAudit(tx, store.dialect, [{ kind: "test.append", at: 1_700_000_000_000 + i, agent: "tester", principal: "tests", data: { i } }]));
  }
}

function runAppender(location: string, name: string, count: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [appender, location, name, String(count), "2"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe.each(await dialects())("the audit chain on %s", (dialect) => {
  let location: TestStoreLocation;
  let store: Store | undefined;
  const open = async () => {
    location = await freshStoreLocation(dialect);
    store = await openStore(location.location);
    return store;
  };
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await location?.cleanup();
  });

  it("appenders in three processes at once build one unbroken chain", async () => {
    await (await open()).close();
    store = undefined;
    const results = await Promise.all(["a", "b", "c"].map((name) => runAppender(location.location, name, 40)));
    expect(results.map((result) => result.stderr)).toEqual(["", "", ""]);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0]);
    store = await openStore(location.location);
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: true, records: 120 });
    const perAppender = await store.db.selectFrom("audit_log").select(["agent", (eb) => eb.fn.countAll<number>().as("count")]).groupBy("agent").orderBy("agent").execute();
    expect(perAppender.map((row) => [row.agent, Number(row.count)])).toEqual([["a", 40], ["b", 40], ["c", 40]]);
  }, 60_000);

  it("records appended by other processes while a verification runs are never reported as past the head", async () => {
    await (await open()).close();
    store = await openStore(location.location);
    const appenders = Promise.all(["a", "b"].map((name) => runAppender(location.location, name, 30)));
    let finished = false;
    void appenders.then(() => (finished = true));
    const verifications = [];
    // Bounded: a verifier that never yields the lock (or a stuck appender) fails the test instead of spinning.
    while (!finished && verifications.length < 500) {
      verifications.push(await verifyAuditChain(store.db, { pageSize: 5 }));
      // SQLite answers synchronously: let the appenders' exit events through.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await appenders).map((result) => result.code)).toEqual([0, 0]);
    expect(verifications.filter((result) => !result.ok)).toEqual([]);
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: true, records: 60 });
  }, 60_000);

  it("records cut off the end stay detectable after later appends", async () => {
    const db = (await open()).db;
    await append(store!, 10);
    await db.deleteFrom("audit_log").where("seq", ">", 7).execute();
    await append(store!, 2);
    const result = await verifyAuditChain(db);
    expect(result).toMatchObject({ ok: false, brokenAt: 8, reason: "record 8 is missing (next record is 11)" });
  });

  it("a head kept outside the store catches a tail rewritten together with the head kept inside it", async () => {
    const db = (await open()).db;
    await append(store!, 10);
    const kept = await verifyAuditChain(db);
    if (!kept.ok) throw new Error("the fresh chain should verify");
    const seventh = await db.selectFrom("audit_log").select("hash").where("seq", "=", 7).executeTakeFirstOrThrow();
    await db.deleteFrom("audit_log").where("seq", ">", 7).execute();
    await sql`update cadre_meta set value = ${`7:${seventh.hash}`} where key = 'audit_head'`.execute(db);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, records: 7 });
    expect(await verifyAuditChain(db, { expectedHead: kept.head, expectedRecords: kept.records })).toMatchObject({ ok: false, brokenAt: 8, reason: expect.stringMatching(/truncated/) });
  });

  it("a tail cut off while the head row stays is caught by the head", async () => {
    const db = (await open()).db;
    await append(store!, 10);
    await db.deleteFrom("audit_log").where("seq", ">", 7).execute();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, records: 7, brokenAt: 8, reason: "the log ends at record 7 but 10 were anchored: the tail was truncated" });
  });

  it("the last record rewritten with a recomputed hash, the head row left alone, is caught by the head", async () => {
    const db = (await open()).db;
    await append(store!, 5);
    const last = toAuditRecord(await db.selectFrom("audit_log").selectAll().where("seq", "=", 5).executeTakeFirstOrThrow());
    const data = { ...last.data, i: 99 };
    await db.updateTable("audit_log").set({ data: JSON.stringify(data), hash: hashRecord(last.prevHash, { ...last, data }) }).where("seq", "=", 5).execute();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 5, reason: "record 5 is not the head kept in cadre_meta: the tail was rewritten" });
  });

  it("a record with a valid hash inserted past the head is caught; records the writer appends later are not", async () => {
    const db = (await open()).db;
    await append(store!, 4);
    const last = toAuditRecord(await db.selectFrom("audit_log").selectAll().where("seq", "=", 4).executeTakeFirstOrThrow());
    const forged = { ...last, seq: 5, data: { forged: true } };
    await db
      .insertInto("audit_log")
      .values({ seq: 5, at: forged.at, kind: forged.kind, run_id: null, step_key: null, workflow: null, agent: forged.agent, principal: null, data: JSON.stringify(forged.data), prev_hash: last.hash, hash: hashRecord(last.hash, forged) })
      .execute();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, records: 5, brokenAt: 5, reason: "record 5 is past the head kept in cadre_meta (record 4): records were added outside the chain's writer" });
    await db.deleteFrom("audit_log").where("seq", "=", 5).execute();
    await append(store!, 2);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, records: 6 });
  });

  it("a head row deleted while records exist is caught", async () => {
    const db = (await open()).db;
    await append(store!, 3);
    await db.deleteFrom("cadre_meta").where("key", "=", "audit_head").execute();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 1, reason: "the chain head (audit_head in cadre_meta) is missing while the log holds records (up to record 3): the head was deleted" });
  });

  it("verification reads the log a page at a time and still names the broken record", async () => {
    const db = (await open()).db;
    await append(store!, 24);
    expect(await verifyAuditChain(db, { pageSize: 4 })).toMatchObject({ ok: true, records: 24 });
    await sql`update audit_log set data = replace(data, '"i":22', '"i":99') where seq = 23`.execute(db);
    expect(await verifyAuditChain(db, { pageSize: 4 })).toMatchObject({ ok: false, records: 24, brokenAt: 23, reason: expect.stringMatching(/changed after it was written/) });
  });

  it("a rolled-back transaction leaves no record and no gap", async () => {
    const db = (await open()).db;
    await append(store!, 3);
    await expect(
      store!.transaction(async (tx) => {
        await appendAudit(tx, store!.dialect, [{ kind: "test.append", at: 1, data: {} }]);
        throw new Error("the decision failed");
      }),
    ).rejects.toThrow("the decision failed");
    await append(store!, 1);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, records: 4 });
  });
});
