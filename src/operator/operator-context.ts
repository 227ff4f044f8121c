import type { AdminContext } from "../governance/admin.ts";
import type { Store } from "../store/store.ts";

/** What every operation family works with: the store, who acts, and the clock. */
export interface OperatorContext {
  readonly store: Store;
  /** Who the operator acts as: named in the audit record of every decision. */
  readonly principal: string;
  now(): number;
}

/** The governance admin functions' context for one action, stamped with the time now. */
export function adminContext(context: OperatorContext): AdminContext {
  return { store: context.store, principal: context.principal, now: context.now() };
}
