/** How the dashboard writes money, durations and times: the same way on every page. */

/** Micro-units as dollars: `$0.0123` below a cent, `$12.34` above. */
export function money(micros: number): string {
  const dollars = micros / 1_000_000;
  if (micros !== 0 && Math.abs(dollars) < 0.01) return `$${dollars.toFixed(4)}`;
  return `$${dollars.toFixed(2)}`;
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** An instant in UTC, to the second: `2026-11-30 07:41:05`. */
export function time(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return "–";
  return new Date(epochMs).toISOString().slice(0, 19).replace("T", " ");
}

/** A value as indented JSON, cut at `max` characters so a huge input never floods a page. */
export function json(value: unknown, max = 2000, options: { compact?: boolean } = {}): string {
  const text = JSON.stringify(value, null, options.compact ? undefined : 2) ?? "undefined";
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

/** Thousands separated: `12,345`. */
export function count(value: number): string {
  return value.toLocaleString("en-US");
}
