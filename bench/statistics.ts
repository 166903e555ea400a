/** Summary statistics of a sample of measurements (milliseconds, bytes, counts). */
export interface Summary {
  count: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** The value below which `fraction` of the sample lies, interpolated linearly between ranks. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = (sorted.length - 1) * fraction;
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (rank - below);
}

/** The 50th percentile. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Count, median, p95, min, max and mean of a sample; NaN fields for an empty one. */
export function summarize(values: readonly number[]): Summary {
  return {
    count: values.length,
    median: median(values),
    p95: percentile(values, 0.95),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    mean: values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}
