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
  const intercept = meanY - slope * meanX;
  const rSquared = varianceY === 0 ? 1 : (covariance * covariance) / (varianceX * varianceY);
  return { slope, intercept, rSquared };
}
