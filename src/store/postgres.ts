import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrateStore } from "./migrate.ts";
import type { Database } from "./schema.ts";
import { createStore, type Store } from "./store.ts";

const int8 = 20;
const numeric = 1700;

/**
 * Opens a PostgreSQL store. `?schema=name` in the URL selects (and creates) a schema, so
 * several stores can share one database; tests use this to stay out of each other's way.
 */
export async function openPostgresStore(url: string, options: { maxConnections?: number } = {}): Promise<Store> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  const location = redact(parsed, schema);

  if (schema) await createSchema(parsed.toString(), schema);
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${quoteIdentifier(schema)}` } : {}),
    // Money and times are 64-bit integers; within 2^53 they are exact as numbers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === int8 || oid === numeric ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateStore(db, "postgres", location, (work) =>
      db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtext('cadre-migrate'))`.execute(tx);
        return work(tx);
      }),
    );
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createStore("postgres", location, db);
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    // CREATE SCHEMA IF NOT EXISTS still races between sessions, so serialize it.
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext('cadre-create-schema'))");
    await client.query(`create schema if not exists ${quoteIdentifier(schema)}`);
    await client.query("commit");
  } finally {
    await client.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function redact(url: URL, schema: string | null): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = "***";
  if (schema) copy.searchParams.set("schema", schema);
  return copy.toString();
}
