import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compiledQuery } from "../../src/store/compiled-query.ts";
import { checkBeforeCommit, send } from "../../src/store/store.ts";
import { dialects, openTestStore, type TestStore } from "../helpers/stores.ts";

const insertMeta = compiledQuery((db, row: { key: string; value: string }) => db.insertInto("cadre_meta").values({ key: row.key, value: row.value }));
const selectMeta = compiledQuery((db, row: { key: string }) => db.selectFrom("cadre_meta").select("value").where("key", "=", row.key));

class RefusedByCheck extends Error {}

/**
 * Statements sent without waiting for their answers (on PostgreSQL, pipelined behind each
 * other on one connection): a failure among them still fails the whole transaction, with
 * its own error, and a failed check is what the transaction throws.
 */
describe.each(await dialects())("writes sent without waiting, on %s", (dialect) => {
  let test: TestStore & { close(): Promise<void> };
  beforeEach(async () => {
    test = await openTestStore(dialect);
  });
  afterEach(async () => {
    await test.close();
  });

  const stored = async (key: string) => (await selectMeta(test.store.db, { key })).rows;

  it("commits every write sent, and a read behind them sees them", async () => {
    const seen = await test.store.transaction(async (tx) => {
      await send(tx, insertMeta(tx, { key: "pipelined:a", value: "1" }));
      await send(tx, insertMeta(tx, { key: "pipelined:b", value: "2" }));
      return (await selectMeta(tx, { key: "pipelined:b" })).rows;
    });
    expect(seen).toEqual([{ value: "2" }]);
    expect(await stored("pipelined:a")).toEqual([{ value: "1" }]);
  });

  it("a write that fails unanswered rolls the whole transaction back and is the error it throws, not the statements refused behind it", async () => {
    const failure = await test.store
      .transaction(async (tx) => {
        await send(tx, insertMeta(tx, { key: "pipelined:first", value: "1" }));
        await send(tx, insertMeta(tx, { key: "pipelined:first", value: "again" }));
        // On PostgreSQL this read is refused because the transaction is aborted; the duplicate is reported.
        await selectMeta(tx, { key: "pipelined:first" });
        await send(tx, insertMeta(tx, { key: "pipelined:later", value: "1" }));
      })
      .catch((error: unknown) => error);
    expect(String((failure as Error).message)).toMatch(/unique|UNIQUE/);
    expect(await stored("pipelined:first")).toEqual([]);
    expect(await stored("pipelined:later")).toEqual([]);
  });

  it("a write that fails unanswered at the end of the transaction fails its commit", async () => {
    await test.store.transaction((tx) => send(tx, insertMeta(tx, { key: "pipelined:taken", value: "1" })));
    const failure = await test.store
      .transaction(async (tx) => {
        await send(tx, insertMeta(tx, { key: "pipelined:new", value: "1" }));
        await send(tx, insertMeta(tx, { key: "pipelined:taken", value: "2" }));
      })
      .catch((error: unknown) => error);
    expect(String((failure as Error).message)).toMatch(/unique|UNIQUE/);
    expect(await stored("pipelined:new")).toEqual([]);
    expect(await stored("pipelined:taken")).toEqual([{ value: "1" }]);
  });

  it("a check on an answer not awaited fails the transaction before it commits, and wins over a statement that failed after it", async () => {
    await test.store.transaction((tx) => send(tx, insertMeta(tx, { key: "pipelined:taken", value: "1" })));
    const failure = await test.store
      .transaction(async (tx) => {
        await send(tx, insertMeta(tx, { key: "pipelined:checked", value: "1" }));
        await checkBeforeCommit(
          tx,
          selectMeta(tx, { key: "pipelined:taken" }).then(({ rows }) => {
            if (rows.length > 0) throw new RefusedByCheck("the key is taken");
          }),
        );
        await send(tx, insertMeta(tx, { key: "pipelined:taken", value: "2" }));
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RefusedByCheck);
    expect(await stored("pipelined:checked")).toEqual([]);
  });

  it("outside a transaction a sent write is awaited like any statement", async () => {
    await send(test.store.db, insertMeta(test.store.db, { key: "pipelined:alone", value: "1" }));
    expect(await stored("pipelined:alone")).toEqual([{ value: "1" }]);
    await expect(send(test.store.db, insertMeta(test.store.db, { key: "pipelined:alone", value: "2" }))).rejects.toThrow(/unique|UNIQUE/);
  });
});
