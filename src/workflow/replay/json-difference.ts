import { canonicalJson } from "../../governance/canonical-json.ts";

/** A value as the journal holds it: what JSON keeps of it (no undefined fields, dates as strings). */
export function asJournaled(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** Whether two values are the same JSON, whatever the order of their object keys. */
export function sameJson(left: unknown, right: unknown): boolean {
  return canonicalJson(asJournaled(left)) === canonicalJson(asJournaled(right));
}

/** Where two JSON values first differ: a path like `$.report.score` and both values there. */
export interface JsonDifference {
  path: string;
  journaled: unknown;
  now: unknown;
}

/** The first place (depth first, keys in sorted order) where `now` differs from `journaled`; undefined when they are the same JSON. */
export function firstDifference(journaled: unknown, now: unknown, path = "$"): JsonDifference | undefined {
  const left = asJournaled(journaled);
  const right = asJournaled(now);
  if (canonicalJson(left) === canonicalJson(right)) return undefined;
  if (Array.isArray(left) && Array.isArray(right)) {
    for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
      if (index >= left.length || index >= right.length) return { path: `${path}[${index}]`, journaled: index < left.length ? left[index] : "(absent)", now: index < right.length ? right[index] : "(absent)" };
      const inner = firstDifference(left[index], right[index], `${path}[${index}]`);
      if (inner) return inner;
    }
  }
  if (isObject(left) && isObject(right)) {
    for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
      const where = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!(key in left) || !(key in right)) return { path: where, journaled: key in left ? left[key] : "(absent)", now: key in right ? right[key] : "(absent)" };
      const inner = firstDifference(left[key], right[key], where);
      if (inner) return inner;
    }
  }
  return { path, journaled: left, now: right };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A short rendering of a value for a message: JSON, cut at `max` characters. */
export function brief(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
