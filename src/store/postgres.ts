import { Kysely, sql } from "kysely";
import pg from "pg";
import { migrateStore, requireCurrentSchema, requireStore } from "./migrate.ts";
import { PipelinedPostgresDialect } from "./postgres-driver.ts";
import { checkSchemaName, diagnosePostgresFailure, hidePassword } from "./postgres-failures.ts";
import type { Database } from "./schema.ts";
import { createStore, type Store } from "./store.ts";
import { StoreConfigError, StoreNotFoundError } from "./store-errors.ts";

const int8 = 20;
const numeric = 1700;
/** How long to wait for the server to accept a connection before saying it is unavailable. */
const connectTimeoutMs = 10_000;

export interface PostgresOpenOptions {
  maxConnections?: number;
  /** Open an existing store in read-only sessions: no schema created, no migration, nothing written. */
  readOnly?: boolean;
  /** Refuse a missing schema or empty database instead of creating a store in it. */
  mustExist?: boolean;
}

/**
 * Opens a PostgreSQL store. `?schema=name` in the URL selects (and creates) a schema, so
 * several stores can share one database; tests use this to stay out of each other's way.
 */
export async function openPostgresStore(url: string, options: PostgresOpenOptions = {}): Promise<Store> {
  const { connectionString, schema, location } = parseUrl(url);
  const db = new Kysely<Database>({ dialect: new PipelinedPostgresDialect(createPool(connectionString, schema, options)) });
  try {
    if (schema && (options.readOnly || options.mustExist) && !(await schemaExists(db, schema))) throw new StoreNotFoundError({ location, reason: `the database has no schema "${schema}"` });
    if (options.readOnly) {
      await requireCurrentSchema(db, "postgres", location);
    } else {
      if (options.mustExist) await requireStore(db, "postgres", location);
      if (schema) await createSchema(connectionString, schema);
      await migrateStore(db, "postgres", location, (work) =>
        db.transaction().execute(async (tx) => {
          await sql`select pg_advisory_xact_lock(hashtext('cadre-migrate'))`.execute(tx);
          return work(tx);
        }),
      );
    }
  } catch (error) {
    await db.destroy();
    throw diagnosePostgresFailure(location, error) ?? error;
  }
  return createStore("postgres", location, db);
}

function parseUrl(url: string): { connectionString: string; schema: string | null; location: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StoreConfigError({ location: hidePassword(url), reason: "it is not a valid URL", fix: "Write it like postgres://user:password@host:5432/database?schema=name." }, { cause: error });
  }
  const schema = parsed.searchParams.get("schema");
  const location = hidePassword(parsed.toString());
  if (schema !== null) checkSchemaName(location, schema);
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema, location };
}

function createPool(connectionString: string, schema: string | null, options: PostgresOpenOptions): pg.Pool {
  const settings = [...(schema ? [`search_path="${schema}"`] : []), ...(options.readOnly ? ["default_transaction_read_only=on"] : [])];
  return new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    // Statements are written without waiting for the answers before them (see postgres-driver.ts).
    pipeline: true,
    ...(settings.length > 0 ? { options: settings.map((setting) => `-c ${setting}`).join(" ") } : {}),
    // Money and times are 64-bit integers; within 2^53 they are exact as numbers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === int8 || oid === numeric ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
}

async function schemaExists(db: Kysely<Database>, schema: string): Promise<boolean> {
  const result = await sql<{ found: number }>`select 1 as found from information_schema.schemata where schema_name = ${schema}`.execute(db);
  return result.rows.length > 0;
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
  try {
    // CREATE SCHEMA IF NOT EXISTS still races between sessions, so serialize it.
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext('cadre-create-schema'))");
    await client.query(`create schema if not exists "${schema}"`);
    await client.query("commit");
  } finally {
    await client.end();
  }
}
