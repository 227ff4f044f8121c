/** Per-run figures of a set of runs: nearest-rank percentiles, the largest, and the total, all whole numbers. */
export interface RunStats {
  p50: number;
  p95: number;
  max: number;
  total: number;
  /** total ÷ runs, rounded up to a whole unit (exact figures derive from `total`). */
  mean: number;
}

/** Nearest-rank percentiles, so every figure is one of the values (a real run's tokens or cost), never an interpolation. */
export function runStats(values: readonly number[]): RunStats {
  const sorted = [...values].sort((left, right) => left - right);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  const rank = (percent: number) => (sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)]!);
  return { p50: rank(50), p95: rank(95), max: sorted.at(-1) ?? 0, total, mean: sorted.length === 0 ? 0 : ceilDivide(total, sorted.length) };
}

/** ⌈numerator × multiplier ÷ divisor⌉ in exact integer arithmetic (BigInt), for money projected over a volume. */
export function scaleUp(numerator: number, multiplier: number, divisor: number): number {
  const product = BigInt(numerator) * BigInt(multiplier);
  const quotient = product / BigInt(divisor);
  const result = product % BigInt(divisor) === 0n ? quotient : quotient + 1n;
  return Number(result);
}

export function ceilDivide(numerator: number, divisor: number): number {
  return scaleUp(numerator, 1, divisor);
}

/** `left ÷ right` of two per-run means (each total ÷ runs), as a plain ratio for display; null when the right side is zero. */
export function meanRatio(left: { total: number; runs: number }, right: { total: number; runs: number }): number | null {
  if (right.total === 0 || right.runs === 0 || left.runs === 0) return null;
  return (left.total * right.runs) / (right.total * left.runs);
}
