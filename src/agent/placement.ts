/** A placement label's key or value: a plain word a worker can advertise on its command line. */
const labelPattern = /^[A-Za-z0-9_.-]{1,63}$/;

/**
 * The first label of an agent's or workflow's `placement` that is not made of letters, digits,
 * dots, dashes and underscores (at most 63), as `key=value`; undefined when all are.
 */
export function invalidPlacementLabel(placement: Record<string, string> | undefined): string | undefined {
  for (const [key, value] of Object.entries(placement ?? {})) {
    if (!labelPattern.test(key) || !labelPattern.test(value)) return `${key}=${value}`;
  }
  return undefined;
}
