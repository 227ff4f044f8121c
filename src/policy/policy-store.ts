import { lockSection } from "../store/store-lock.ts";
import type { Db, StoreDialect } from "../store/store.ts";
import type { CompiledPolicySet, PolicyInfo } from "./compile-policy-set.ts";
import type { PolicySources } from "./policy-sources.ts";

/** A stored policy set: what `cadre policy explain` reads to show the policies of a past decision. */
export interface StoredPolicySet {
  version: string;
  sources: PolicySources;
  policies: Array<Omit<PolicyInfo, "text"> & { text: string }>;
  firstActivatedAt: number;
  activatedAt: number;
  activatedBy: string;
}

const activeKey = "policy_version";

/** The version the last runtime opened with, or null when it had no policies. */
export async function activePolicyVersion(db: Db): Promise<string | null> {
  const row = await db.selectFrom("cadre_meta").select("value").where("key", "=", activeKey).executeTakeFirst();
  return row?.value ? row.value : null;
}

/**
 * Makes `set` (or none) the active policy set; returns the version it replaces, or undefined
 * when nothing changed. Serialized across processes opening at once; the caller audits it in
 * the same transaction.
 */
export async function activatePolicySet(tx: Db, dialect: StoreDialect, options: { set: CompiledPolicySet | null; now: number; by: string }): Promise<{ previous: string | null } | undefined> {
  await lockSection(tx, dialect, "policy-set");
  const previous = await activePolicyVersion(tx);
  const version = options.set?.version ?? null;
  if (previous === version) return undefined;
  if (options.set) {
    const { set, now, by } = options;
    const policies = JSON.stringify([...set.policies.values()]);
    await tx
      .insertInto("policy_sets")
      .values({ version: set.version, sources: JSON.stringify(set.sources), policies, first_activated_at: now, activated_at: now, activated_by: by })
      .onConflict((conflict) => conflict.column("version").doUpdateSet({ activated_at: now, activated_by: by }))
      .execute();
  }
  await tx
    .insertInto("cadre_meta")
    .values({ key: activeKey, value: version ?? "" })
    .onConflict((conflict) => conflict.column("key").doUpdateSet({ value: version ?? "" }))
    .execute();
  return { previous };
}

export async function getPolicySet(db: Db, version: string): Promise<StoredPolicySet | undefined> {
  const row = await db.selectFrom("policy_sets").selectAll().where("version", "=", version).executeTakeFirst();
  if (!row) return undefined;
  return {
    version: row.version,
    sources: JSON.parse(row.sources) as PolicySources,
    policies: JSON.parse(row.policies) as StoredPolicySet["policies"],
    firstActivatedAt: Number(row.first_activated_at),
    activatedAt: Number(row.activated_at),
    activatedBy: row.activated_by,
  };
}

export async function listPolicySets(db: Db): Promise<Array<Omit<StoredPolicySet, "sources" | "policies"> & { policies: number }>> {
  const rows = await db.selectFrom("policy_sets").select(["version", "policies", "first_activated_at", "activated_at", "activated_by"]).orderBy("activated_at", "desc").execute();
  return rows.map((row) => ({ version: row.version, policies: (JSON.parse(row.policies) as unknown[]).length, firstActivatedAt: Number(row.first_activated_at), activatedAt: Number(row.activated_at), activatedBy: row.activated_by }));
}
