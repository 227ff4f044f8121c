import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { roleAllows, type OperatorRole } from "../governance/operator-keys.ts";
import type { Operator } from "../operator/operator.ts";
import type { FailedAttempts } from "./failed-attempts.ts";
import { ForbiddenError, UnauthenticatedError } from "./server-errors.ts";

/** How requests are authenticated: operator keys, or the local playground where everyone is one admin. */
export type ServerAuth = { mode: "keys" } | { mode: "dev"; operator?: string };

/** Who a request acts as. */
export interface Identity {
  name: string;
  role: OperatorRole;
  /** The key presented; null in the playground. */
  keyId: string | null;
  /** How the key came: the Authorization header, the cookie, or none (the playground, public routes). */
  via: "header" | "cookie" | "none";
}

/** The cookie a browser sends the key in (the header wins when both are present). */
export const keyCookie = "cadre_operator_key";

/** The operator the playground acts as when none is named. */
export const devOperator = "local";

/**
 * Who is calling: in the playground, the local admin; otherwise the live key sent as
 * `Authorization: Bearer <key>` or in the `cadre_operator_key` cookie. UNAUTHENTICATED (401)
 * without a key or with an unknown one; RATE_LIMITED (429) once an address failed too often.
 */
export async function authenticate(http: Context, options: { auth: ServerAuth; operator: Operator; failures: FailedAttempts; address: string }): Promise<Identity> {
  if (options.auth.mode === "dev") return { name: options.auth.operator ?? devOperator, role: "admin", keyId: null, via: "none" };
  options.failures.check(options.address);
  const { secret, via } = presentedKey(http);
  if (secret === undefined) {
    throw new UnauthenticatedError({ message: "This API needs an operator key: send `Authorization: Bearer <key>` (create one with `cadre keys create --operator <name> --role viewer`)." });
  }
  const key = await options.operator.keys.authenticate(secret);
  if (!key) {
    options.failures.record(options.address);
    throw new UnauthenticatedError({ message: "The operator key is unknown or revoked. List keys with `cadre keys list --operators`." });
  }
  return { name: key.operator, role: key.role, keyId: key.id, via };
}

/** FORBIDDEN (403) unless the caller's role includes `needed`. */
export function authorize(identity: Identity, needed: OperatorRole, action: string): void {
  if (roleAllows(identity.role, needed)) return;
  throw new ForbiddenError({ message: `${identity.name} (role ${identity.role}) may not ${action}: it needs the ${needed} role or above.`, operator: identity.name, role: identity.role, needed, action });
}

function presentedKey(http: Context): { secret: string | undefined; via: "header" | "cookie" } {
  const header = http.req.header("authorization");
  if (header !== undefined) return { secret: /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "", via: "header" };
  return { secret: getCookie(http, keyCookie) || undefined, via: "cookie" };
}
