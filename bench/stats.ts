/**
 * Figures from a shared, noisy machine: each measurement is repeated and reported as its
 * median with the spread (fastest–slowest), and set beside a floor measured in the same
 * process a moment before, so a slow machine shows as a slow floor, not as a regression.
 */
export interface Sample {
  median: number;
  min: number;
  max: number;
}

/** Runs `measure` once to warm up, then `repeat` times. */
export async function sample(repeat: number, measure: () => Promise<number> | number): Promise<Sample> {
  await measure();
  const values: number[] = [];
  for (let i = 0; i < repeat; i += 1) values.push(await measure());
  values.sort((left, right) => left - right);
  return { median: values[Math.floor(values.length / 2)]!, min: values[0]!, max: values[values.length - 1]! };
}

/** `12.3 ms (11.9–14.0)` */
export function spread(value: Sample, unit: string, digits = 1): string {
  return `${value.median.toFixed(digits)} ${unit} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;
}

/** `✓ target ≤ 25 ms` or `✗ target ≤ 25 ms`, judged on the median. */
export function target(value: Sample, limit: number, unit: string, direction: "at most" | "at least" = "at most"): string {
  const met = direction === "at most" ? value.median <= limit : value.median >= limit;
  return `${met ? "✓" : "✗"} target ${direction === "at most" ? "≤" : "≥"} ${limit} ${unit}`;
}

/** The value at percentile `p` of an ascending list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The PostgreSQL server the PostgreSQL sections measure against. */
export const benchPostgresUrl = process.env.CADRE_BENCH_POSTGRES ?? process.env.CADRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether that server answers; a section without it prints that it was skipped. */
export async function postgresReachable(): Promise<boolean> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: benchPostgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * A full garbage collection, so a heap reading counts what is still referenced, not what a
 * collection happened (or not) to free just before it. Uses `gc` from `node --expose-gc`
 * when present, else turns the flag on for this process.
 */
export async function collectGarbage(): Promise<void> {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    const { setFlagsFromString } = await import("node:v8");
    const { runInNewContext } = await import("node:vm");
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  // Twice: the first pass may leave objects whose finalizers free more.
  gc();
  gc();
}
