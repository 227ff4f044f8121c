import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendAudit, hashRecord, toAuditRecord } from "../../src/governance/audit-log.ts";
import { AuditChainBrokenError, CadreError, Runtime, checkpointAudit, generateAuditKeyPair, loadAuditSigner, loadAuditVerifiers, usd, verifyAudit, verifyAuditChain, type Store } from "../../src/index.ts";
import { dialects, openTestStore } from "../helpers/stores.ts";
import { burstAgent, burstWorkflow, paidTool } from "./fixtures.ts";

async function append(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await store.transaction((tx) => appendAudit(tx, store.dialect, [{ kind: "test.append", at: 1_700_000_000_000 + i, agent: "tester", data: { i } }]));
  }
}

const fixedClock = { now: () => 1_800_000_000_000 };

describe("audit signing keys", () => {
  it("keygen writes an Ed25519 pair, the private key readable by its owner only, and never overwrites it", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-keys-"));
    const pair = generateAuditKeyPair(directory);
    expect(statSync(pair.privateKeyPath).mode & 0o777).toBe(0o600);
    const signer = loadAuditSigner({ signingKey: pair.privateKeyPath }, {});
    expect(signer?.keyId).toBe(pair.keyId);
    expect(loadAuditVerifiers({ publicKey: pair.publicKeyPath }, {}).map((verifier) => verifier.keyId)).toEqual([pair.keyId]);
    expect(() => generateAuditKeyPair(directory)).toThrow(expect.objectContaining({ code: "AUDIT_KEY" }));
  });

  it("CADRE_AUDIT_KEY overrides the configured path; a missing or non-Ed25519 key is an AUDIT_KEY configuration error", () => {
    const first = generateAuditKeyPair(mkdtempSync(join(tmpdir(), "cadre-keys-")));
    const second = generateAuditKeyPair(mkdtempSync(join(tmpdir(), "cadre-keys-")));
    expect(loadAuditSigner({ signingKey: first.privateKeyPath }, { CADRE_AUDIT_KEY: second.privateKeyPath })?.keyId).toBe(second.keyId);
    expect(loadAuditSigner({}, {})).toBeNull();
    const missing = (() => {
      try {
        loadAuditSigner({ signingKey: "/nonexistent/cadre-audit.key" }, {});
      } catch (error) {
        return error;
      }
    })();
    expect(CadreError.is(missing) && [missing.code, missing.fault]).toEqual(["AUDIT_KEY", "configuration"]);
    const notAKey = join(mkdtempSync(join(tmpdir(), "cadre-keys-")), "rsa.pem");
    writeFileSync(notAKey, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
    expect(() => loadAuditSigner({ signingKey: notAKey }, {})).toThrow(expect.objectContaining({ code: "AUDIT_KEY" }));
  });
});

describe.each(await dialects())("signed audit checkpoints on %s", (dialect) => {
  let test: Awaited<ReturnType<typeof openTestStore>>;
  let keys: ReturnType<typeof generateAuditKeyPair>;
  let checkpointFile: string;
  beforeEach(async () => {
    test = await openTestStore(dialect);
    const directory = mkdtempSync(join(tmpdir(), "cadre-keys-"));
    keys = generateAuditKeyPair(directory);
    checkpointFile = join(directory, "checkpoints.jsonl");
  });
  afterEach(async () => {
    await test.close();
  });
  const audit = () => ({ signingKey: keys.privateKeyPath, checkpointFile });
  const verifiers = () => loadAuditVerifiers({ publicKey: keys.publicKeyPath }, {});

  it("every run end signs a checkpoint of the head, in the store and in the outside file", async () => {
    const agent = burstAgent(paidTool());
    const workflow = burstWorkflow(agent, { perRun: usd(0.05) });
    const runtime = await Runtime.open({ store: test.store, agents: [agent], workflows: [workflow], audit: audit() });
    await (await runtime.start(workflow, { count: 2 })).result();
    await (await runtime.start(workflow, { count: 1 })).result();
    await runtime.close();
    const head = await test.store.db.selectFrom("audit_log").select(["seq", "hash"]).orderBy("seq", "desc").limit(1).executeTakeFirstOrThrow();
    const stored = await test.store.db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
    expect(stored).toHaveLength(2);
    expect(stored[1]).toMatchObject({ hash: head.hash, key_id: keys.keyId });
    expect(Number(stored[1]!.seq)).toBe(Number(head.seq));
    const lines = readFileSync(checkpointFile, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.seq, line.hash, line.signature])).toEqual(stored.map((row) => [Number(row.seq), row.hash, row.signature]));
    expect(await verifyAudit(test.store.db, { verifiers: verifiers(), checkpointFile })).toMatchObject({ ok: true, checkpoints: 2, outsideCheckpoints: 2, unanchored: 0, signaturesChecked: true, problemCount: 0 });
  });

  it("no key, no checkpoint: a run end without a configured key signs nothing", async () => {
    const agent = burstAgent(paidTool());
    const workflow = burstWorkflow(agent, { perRun: usd(0.05) });
    const previous = process.env.CADRE_AUDIT_KEY;
    delete process.env.CADRE_AUDIT_KEY;
    try {
      const runtime = await Runtime.open({ store: test.store, agents: [agent], workflows: [workflow] });
      await (await runtime.start(workflow, { count: 1 })).result();
      await runtime.close();
    } finally {
      if (previous !== undefined) process.env.CADRE_AUDIT_KEY = previous;
    }
    expect(await test.store.db.selectFrom("audit_checkpoints").selectAll().execute()).toEqual([]);
    expect(await verifyAudit(test.store.db)).toMatchObject({ ok: true, checkpoints: 0, latestCheckpoint: 0 });
  });

  it("a checkpoint of a head that has one is a no-op; later records are counted as unanchored, not failed", async () => {
    await append(test.store, 5);
    const first = await checkpointAudit(test.store, audit(), fixedClock);
    expect(first).toMatchObject({ created: true, checkpoint: { seq: 5, at: fixedClock.now(), keyId: keys.keyId }, file: checkpointFile });
    expect(await checkpointAudit(test.store, audit(), { now: () => 1 })).toMatchObject({ created: false, checkpoint: { seq: 5, at: fixedClock.now() } });
    expect(readFileSync(checkpointFile, "utf8").trim().split("\n")).toHaveLength(1);
    await append(test.store, 3);
    expect(await verifyAudit(test.store.db, { verifiers: verifiers(), checkpointFile })).toMatchObject({ ok: true, records: 8, checkpoints: 1, latestCheckpoint: 5, unanchored: 3 });
    // Writing a checkpoint is not an audit record: the head did not move.
    expect(await test.store.db.selectFrom("audit_log").select("seq").execute()).toHaveLength(8);
  });

  it("refuses to sign a head over records changed since the last checkpoint", async () => {
    await append(test.store, 4);
    await checkpointAudit(test.store, audit(), fixedClock);
    await append(test.store, 4);
    await sql`update audit_log set data = replace(data, '"i":1', '"i":7') where seq = 6`.execute(test.store.db);
    const refused = checkpointAudit(test.store, audit(), fixedClock);
    await expect(refused).rejects.toBeInstanceOf(AuditChainBrokenError);
    await expect(refused).rejects.toMatchObject({ code: "STORE_CORRUPT", details: { brokenAt: 6 } });
    expect(await test.store.db.selectFrom("audit_checkpoints").select("seq").execute()).toHaveLength(1);
  });

  it("a forged or foreign signature fails verification; without a public key the signatures are reported unchecked", async () => {
    await append(test.store, 3);
    await checkpointAudit(test.store, audit(), fixedClock);
    const foreign = generateAuditKeyPair(mkdtempSync(join(tmpdir(), "cadre-keys-")));
    await append(test.store, 2);
    await checkpointAudit(test.store, { signingKey: foreign.privateKeyPath }, fixedClock);
    expect(await verifyAudit(test.store.db, { verifiers: verifiers() })).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringMatching(/checkpoint of record 5 in the store is signed by key .* not among the public keys/) });
    const both = loadAuditVerifiers({ publicKeys: [keys.publicKeyPath, foreign.publicKeyPath] }, {});
    expect(await verifyAudit(test.store.db, { verifiers: both })).toMatchObject({ ok: true, checkpoints: 2 });
    await sql`update audit_checkpoints set at = at + 1 where seq = 3`.execute(test.store.db);
    expect(await verifyAudit(test.store.db, { verifiers: both })).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/signature that does not verify/) });
    expect(await verifyAudit(test.store.db)).toMatchObject({ ok: true, signaturesChecked: false, checkpoints: 2 });
  });

  it("a checkpoint beyond the last record is a truncation, even when the head was moved back with it", async () => {
    await append(test.store, 6);
    await checkpointAudit(test.store, audit(), fixedClock);
    const third = await test.store.db.selectFrom("audit_log").select("hash").where("seq", "=", 3).executeTakeFirstOrThrow();
    await test.store.db.deleteFrom("audit_log").where("seq", ">", 3).execute();
    await sql`update cadre_meta set value = ${`3:${third.hash}`} where key = 'audit_head'`.execute(test.store.db);
    const report = await verifyAudit(test.store.db, { verifiers: verifiers() });
    expect(report).toMatchObject({ ok: false, records: 3, brokenAt: 4, reason: "the log ends at record 3 but the store holds a signed checkpoint of record 6: the tail was truncated" });
  });

  it("a record rewritten with every later hash and the head recomputed no longer matches the checkpoint", async () => {
    await append(test.store, 5);
    await checkpointAudit(test.store, audit(), fixedClock);
    // What an attacker without the key can do: change record 2 and re-chain everything after it.
    let prevHash = "0".repeat(64);
    for (const row of await test.store.db.selectFrom("audit_log").selectAll().orderBy("seq").execute()) {
      const record = toAuditRecord(row);
      const data = record.seq === 2 ? { ...record.data, i: 42 } : record.data;
      const hash = hashRecord(prevHash, { ...record, data });
      await test.store.db.updateTable("audit_log").set({ data: JSON.stringify(data), prev_hash: prevHash, hash }).where("seq", "=", record.seq).execute();
      prevHash = hash;
    }
    await sql`update cadre_meta set value = ${`5:${prevHash}`} where key = 'audit_head'`.execute(test.store.db);
    expect(await verifyAuditChain(test.store.db)).toMatchObject({ ok: true });
    expect(await verifyAudit(test.store.db, { verifiers: verifiers() })).toMatchObject({ ok: false, brokenAt: 5, reason: "record 5 does not have the hash its signed checkpoint in the store holds: the log was rewritten" });
  });

  it("a head row deleted while checkpoints exist is named, even when the log is empty", async () => {
    await append(test.store, 2);
    await checkpointAudit(test.store, audit(), fixedClock);
    await test.store.db.deleteFrom("audit_log").execute();
    await test.store.db.deleteFrom("cadre_meta").where("key", "=", "audit_head").execute();
    const report = await verifyAudit(test.store.db, { verifiers: verifiers() });
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.reason)).toEqual([
      "the log ends at record 0 but the store holds a signed checkpoint of record 2: the tail was truncated",
      "the chain head (audit_head in cadre_meta) is missing while signed checkpoints exist: the log was emptied or its head deleted",
    ]);
    await expect(checkpointAudit(test.store, audit(), fixedClock)).rejects.toMatchObject({ code: "STORE_CORRUPT" });
  });

  it("an unreadable line of the outside file is named", async () => {
    await append(test.store, 2);
    await checkpointAudit(test.store, audit(), fixedClock);
    writeFileSync(checkpointFile, "{not json\n", { flag: "a" });
    expect(await verifyAudit(test.store.db, { verifiers: verifiers(), checkpointFile })).toMatchObject({ ok: false, problems: [{ reason: `line 2 of ${checkpointFile} is not a checkpoint` }] });
  });
});
