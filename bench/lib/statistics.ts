/** Summary statistics of a sample of measurements (milliseconds, bytes, counts). */
export interface Summary {
  count: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** The value below which `fraction` of the sample lies, interpolated linearly between ranks. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = (sorted.length - 1) * fraction;
  const low = sorted[Math.floor(rank)]!;
  const high = sorted[Math.ceil(rank)]!;
  return low + (high - low) * (rank - Math.floor(rank));
}

/** The 50th percentile. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Count, median, p90, p95, p99, min, max and mean of a sample; NaN fields for an empty one. */
export function summarize(values: readonly number[]): Summary {
  const empty = values.length === 0;
  return {
    count: values.length,
    median: median(values),
    p90: percentile(values, 0.9),
    p95: percentile(values, 0.95),
    p99: percentile(values, 0.99),
    min: empty ? Number.NaN : Math.min(...values),
    max: empty ? Number.NaN : Math.max(...values),
    mean: empty ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}

/** A least-squares line through points, and how well it fits. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 is a perfect line. */
  rSquared: number;
}

/** Fits y = slope · x + intercept by least squares; NaN fields for fewer than two points. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LinearFit {
  const count = Math.min(xs.length, ys.length);
  if (count < 2) return { slope: Number.NaN, intercept: Number.NaN, rSquared: Number.NaN };
  const meanX = xs.slice(0, count).reduce((sum, x) => sum + x, 0) / count;
  const meanY = ys.slice(0, count).reduce((sum, y) => sum + y, 0) / count;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let index = 0; index < count; index += 1) {
    const dx = xs[index]! - meanX;
    const dy = ys[index]! - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  const slope = covariance / varianceX;
  return { slope, intercept: meanY - slope * meanX, rSquared: varianceY === 0 ? 1 : (covariance * covariance) / (varianceX * varianceY) };
}
