import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore, type Store } from "../../src/index.ts";

/** The PostgreSQL server tests use; CI starts it on 127.0.0.1:5432. */
export const postgresUrl = process.env.CADRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

let reachable: boolean | undefined;

/** Whether PostgreSQL answers. In CI an unreachable server is an error, not a skip. */
export async function postgresAvailable(): Promise<boolean> {
  if (reachable !== undefined) return reachable;
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    reachable = true;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${postgresUrl} is not reachable in CI: ${(error as Error).message}`);
    console.warn(`notice: PostgreSQL at ${postgresUrl} is not reachable; PostgreSQL cases are skipped.`);
    reachable = false;
  }
  return reachable;
}

export interface TestStoreLocation {
  dialect: "sqlite" | "postgres";
  /** A location string for openStore / --store / CADRE_STORE. */
  location: string;
  /** Removes the file or drops the schema. */
  cleanup(): Promise<void>;
}

/** A fresh, empty store location: a temp SQLite file, or a new PostgreSQL schema. */
export async function freshStoreLocation(dialect: "sqlite" | "postgres"): Promise<TestStoreLocation> {
  if (dialect === "sqlite") {
    const directory = mkdtempSync(join(tmpdir(), "cadre-test-"));
    return { dialect, location: join(directory, "cadre.db"), cleanup: async () => rmSync(directory, { recursive: true, force: true }) };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  return {
    dialect,
    location: `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`,
    async cleanup() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

export interface TestStore extends TestStoreLocation {
  store: Store;
}

/** Opens a fresh store; `close()` closes it and cleans up. */
export async function openTestStore(dialect: "sqlite" | "postgres"): Promise<TestStore & { close(): Promise<void> }> {
  const location = await freshStoreLocation(dialect);
  const store = await openStore(location.location);
  return {
    ...location,
    store,
    async close() {
      await store.close();
      await location.cleanup();
    },
  };
}

/**
 * The dialects to run a suite against: always SQLite; PostgreSQL when reachable (always in CI).
 * Use with `describe.each(await dialects())`.
 */
export async function dialects(): Promise<Array<"sqlite" | "postgres">> {
  return (await postgresAvailable()) ? ["sqlite", "postgres"] : ["sqlite"];
}
