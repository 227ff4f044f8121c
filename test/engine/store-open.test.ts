import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { latestSchemaVersion, openStore } from "../../src/index.ts";
import { openTogether } from "../fixtures/concurrent-open/open-together.ts";
import { freshStoreLocation, postgresAvailable } from "../helpers/stores.ts";

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), "cadre-store-")), name);

describe("opening a SQLite store", () => {
  it("creates a fresh store with the latest schema and reopens it", async () => {
    const path = tempFile("fresh.db");
    const store = await openStore(path);
    const version = await store.db.selectFrom("cadre_meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
    expect(Number(version?.value)).toBe(latestSchemaVersion);
    await store.close();
    const again = await openStore(path);
    await again.close();
  });

  it("refuses a file that is not a database, naming it, and leaves it untouched", async () => {
    const path = tempFile("notes.db");
    writeFileSync(path, "these are my notes, not a database\n".repeat(10));
    const before = digest(path);
    await expect(openStore(path)).rejects.toMatchObject({ code: "STORE_CORRUPT", details: { location: path } });
    expect(digest(path)).toBe(before);
  });

  it("refuses a damaged SQLite file and leaves it untouched", async () => {
    const path = tempFile("damaged.db");
    const store = await openStore(path);
    await store.close();
    const bytes = readFileSync(path);
    bytes.fill(0xff, 100, Math.min(bytes.length, 8192));
    writeFileSync(path, bytes);
    const before = digest(path);
    await expect(openStore(path)).rejects.toMatchObject({ code: "STORE_CORRUPT" });
    expect(digest(path)).toBe(before);
  });

  it("refuses another application's SQLite database", async () => {
    const path = tempFile("foreign.db");
    const foreign = new BetterSqlite3(path);
    foreign.exec("create table invoices (id integer primary key, total integer)");
    foreign.close();
    const before = digest(path);
    const error = await openStore(path).catch((thrown) => thrown);
    expect(error).toMatchObject({ code: "STORE_NOT_CADRE" });
    expect(error.message).toContain("invoices");
    expect(digest(path)).toBe(before);
  });

  it("refuses a store written by a newer Cadre", async () => {
    const path = tempFile("newer.db");
    const store = await openStore(path);
    await store.db.updateTable("cadre_meta").set({ value: String(latestSchemaVersion + 1) }).where("key", "=", "schema_version").execute();
    await store.close();
    await expect(openStore(path)).rejects.toMatchObject({ code: "STORE_TOO_NEW", details: { found: latestSchemaVersion + 1, supported: latestSchemaVersion } });
  });
});

describe.runIf(await postgresAvailable())("opening a PostgreSQL store", () => {
  it("migrates a fresh schema once even when two processes race", async () => {
    const location = await freshStoreLocation("postgres");
    try {
      const exits = await openTogether(location.location, { count: 2, storeOnly: true });
      expect(exits.filter((exit) => exit.code !== 0)).toEqual([]);
      const store = await openStore(location.location);
      const meta = await store.db.selectFrom("cadre_meta").select("value").where("key", "=", "schema_version").execute();
      await store.close();
      expect(meta).toEqual([{ value: String(latestSchemaVersion) }]);
    } finally {
      await location.cleanup();
    }
  });

  it("refuses a schema that holds another application's tables", async () => {
    const location = await freshStoreLocation("postgres");
    const store = await openStore(location.location);
    await store.close();
    const schema = new URL(location.location).searchParams.get("schema")!;
    const client = new pg.Client({ connectionString: location.location.replace(/[?&]schema=.*$/, "") });
    await client.connect();
    try {
      await client.query(`drop table "${schema}".cadre_meta`);
      await expect(openStore(location.location)).rejects.toMatchObject({ code: "STORE_NOT_CADRE" });
    } finally {
      await client.end();
      await location.cleanup();
    }
  });
});
