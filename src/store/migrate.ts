import type { Kysely } from "kysely";
import { latestSchemaVersion, metaTableDdl, migrations } from "./migrations.ts";
import { StoreNotCadreError, StoreTooNewError } from "./store-errors.ts";

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
  const current = await readSchemaVersion(db, location);
  if (current === latestSchemaVersion) return;
  await lockedTransaction(async (tx) => {
    const version = await readSchemaVersion(tx, location);
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

async function readSchemaVersion(db: Kysely<any>, location: string): Promise<number> {
  const tables = (await db.introspection.getTables()).map((table) => table.name);
  if (tables.length === 0) return 0;
  if (!tables.includes("cadre_meta")) throw new StoreNotCadreError(location, tables);
  const row = await db.selectFrom("cadre_meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
  const version = Number(row?.value ?? 0);
  if (version > latestSchemaVersion) throw new StoreTooNewError(location, version, latestSchemaVersion);
  return version;
}
