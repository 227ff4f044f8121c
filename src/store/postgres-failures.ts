import type { CadreError } from "../errors.ts";
import { StoreConfigError, StoreFullError, StoreNotFoundError, StoreReadOnlyError, StoreUnavailableError } from "./store-errors.ts";

const unreachable = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "57P01", "57P03", "53300"]);

/**
 * Says why PostgreSQL refused to open (or write) the store, as the typed error an operator can
 * act on; undefined for failures that are none of these. `location` has its password hidden.
 */
export function diagnosePostgresFailure(location: string, error: unknown): CadreError | undefined {
  const { code = "", message = String(error) } = (error ?? {}) as { code?: string; message?: string };
  if (unreachable.has(code) || /timeout|terminated unexpectedly/i.test(message)) return new StoreUnavailableError({ location, reason: message || code }, { cause: error });
  if (code === "3D000") return new StoreConfigError({ location, reason: message, fix: "Create the database (createdb), or fix its name in the URL." }, { cause: error });
  if (code === "28P01" || code === "28000") return new StoreConfigError({ location, reason: message, fix: "Fix the user or password in the URL (or in PGPASSWORD / .pgpass)." }, { cause: error });
  if (code === "3F000") return new StoreNotFoundError({ location, reason: message });
  if (code === "42501" || code === "25006") return new StoreReadOnlyError({ location, reason: message }, { cause: error });
  if (code === "53100") return new StoreFullError({ location, reason: message }, { cause: error });
  return undefined;
}

/**
 * Schema names we accept in `?schema=`: no quotes, spaces or backslashes (the name travels
 * quoted in SQL and in the connection's startup options), at most PostgreSQL's 63 bytes, and
 * not one of the reserved `pg_` names.
 */
export function checkSchemaName(location: string, schema: string): void {
  if (/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(schema) && !/^pg_/i.test(schema)) return;
  throw new StoreConfigError({ location, reason: `"${schema}" is not a usable schema name`, fix: "Use ?schema= with 1 to 63 letters, digits, underscores and hyphens, starting with a letter or underscore and not with pg_." });
}

/** A URL as safe to print: the password replaced, even when the URL does not parse. */
export function hidePassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
  }
}
