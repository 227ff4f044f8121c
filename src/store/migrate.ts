import { sql, type Kysely } from "kysely";
import { latestSchemaVersion, metaTableDdl, migrations } from "./migrations.ts";
import { StoreConfigError, StoreNotCadreError, StoreNotFoundError, StoreTooNewError } from "./store-errors.ts";

/**
 * Checks that the database is empty or a Cadre store no newer than this code, then applies
 * the missing migrations. Runs inside `lockedTransaction`, which the dialect makes exclusive
 * so two processes opening one fresh store do not both migrate it.
 */
export async function migrateStore(
  db: Kysely<any>,
  dialect: "sqlite" | "postgres",
  location: string,
  lockedTransaction: <T>(work: (tx: Kysely<any>) => Promise<T>) => Promise<T>,
): Promise<void> {
  const current = await readSchemaVersion(db, dialect, location);
  if (current === latestSchemaVersion) return;
  await lockedTransaction(async (tx) => {
    const version = await readSchemaVersion(tx, dialect, location);
    if (version === 0) await metaTableDdl.execute(tx);
    for (const migration of migrations) {
      if (migration.version <= version) continue;
      await migration.up(tx, dialect);
    }
    await tx
      .insertInto("cadre_meta")
      .values({ key: "schema_version", value: String(latestSchemaVersion) })
      .onConflict((conflict) => conflict.column("key").doUpdateSet({ value: String(latestSchemaVersion) }))
      .execute();
  });
}

/**
 * For opening without writing: checks that the database is a Cadre store at exactly this
 * code's schema version, which it cannot migrate. An empty database is no store at all.
 */
export async function requireCurrentSchema(db: Kysely<any>, dialect: "sqlite" | "postgres", location: string): Promise<void> {
  const version = await requireStore(db, dialect, location);
  if (version < latestSchemaVersion) {
    throw new StoreConfigError({ location, reason: `it has schema version ${version}, older than this Cadre's ${latestSchemaVersion}, and commands that only read do not upgrade it`, fix: "Run any command that writes (cadre run ...) once to upgrade it." });
  }
}

/** Checks that the database already holds a Cadre store (of any version this code can open) and returns its schema version. */
export async function requireStore(db: Kysely<any>, dialect: "sqlite" | "postgres", location: string): Promise<number> {
  const version = await readSchemaVersion(db, dialect, location);
  if (version === 0) throw new StoreNotFoundError({ location, reason: "the database is empty" });
  return version;
}

/** Tables of this store only: on PostgreSQL, those of the current schema, not of every schema the role can see. */
async function listTables(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<string[]> {
  if (dialect === "sqlite") return (await db.introspection.getTables()).map((table) => table.name);
  const result = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema()`.execute(db);
  return result.rows.map((row) => row.table_name);
}

async function readSchemaVersion(db: Kysely<any>, dialect: "sqlite" | "postgres", location: string): Promise<number> {
  const tables = await listTables(db, dialect);
  if (tables.length === 0) return 0;
  if (!tables.includes("cadre_meta")) throw new StoreNotCadreError({ location, tables });
  const row = await db.selectFrom("cadre_meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
  const version = Number(row?.value ?? 0);
  if (version > latestSchemaVersion) throw new StoreTooNewError({ location, found: version, supported: latestSchemaVersion });
  return version;
}
