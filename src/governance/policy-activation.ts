import type { CompiledPolicySet } from "../policy/compile-policy-set.ts";
import { activatePolicySet } from "../policy/policy-store.ts";
import type { Store } from "../store/store.ts";
import { appendAudit } from "./audit-log.ts";

/**
 * Records the policy set a runtime opens with as the active one. A change (another version,
 * or policies turned off) is an audit record naming both versions and the policies; opening
 * again with the same files changes nothing.
 */
export async function recordActivePolicySet(store: Store, options: { set: CompiledPolicySet | null; now: number; principal: string }): Promise<void> {
  const { set, now, principal } = options;
  await store.transaction(async (tx) => {
    const changed = await activatePolicySet(tx, store.dialect, { set, now, by: principal });
    if (!changed) return;
    const data = set
      ? { version: set.version, previous: changed.previous, schema: set.sources.schema.path, files: set.sources.files.map((file) => file.path), policies: [...set.policies.keys()] }
      : { version: null, previous: changed.previous };
    await appendAudit(tx, store.dialect, [{ kind: set ? "policy.activated" : "policy.deactivated", at: now, principal, data }]);
  });
}
