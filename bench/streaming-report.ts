import { percentile } from './statistics';

/** Percentiles of a latency sample, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** One row of the latency tables. */
export interface LatencyRow {
  label: string;
  summary: LatencySummary;
}

/** What an idle subscriber cost over the window, per design. */
export interface IdleRow {
  design: string;
  subscribers: number;
  windowSeconds: number;
  queriesPerSubscriberPerMinute: number;
  historyRequestsPerSubscriberPerMinute: number;
  /** Events added to the subscribed tasks' histories during the window, all tasks together. */
  historyEventsAdded: number;
  /** Events the subscribers received during the window (nothing happened, so 0 is right). */
  eventsDelivered: number;
}

/** p50, p90, p99, max and mean of a sample; NaN fields for an empty one. */
export function summarizeLatency(values: readonly number[]): LatencySummary {
  return {
    count: values.length,
    p50: percentile(values, 0.5),
    p90: percentile(values, 0.9),
    p99: percentile(values, 0.99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    mean: values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}

/** A fixed-width text table. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** A latency table: one row per label, p50/p90/p99/max in milliseconds and the sample size. */
export function formatLatencyTable(firstColumn: string, rows: readonly LatencyRow[]): string {
  return formatTable(
    [firstColumn, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'samples'],
    rows.map(({ label, summary }) => [
      label,
      formatMs(summary.p50),
      formatMs(summary.p90),
      formatMs(summary.p99),
      formatMs(summary.max),
      String(summary.count),
    ]),
  );
}

/** The idle-cost table. */
export function formatIdleTable(rows: readonly IdleRow[]): string {
  return formatTable(
    ['design', 'subscribers', 'window s', 'queries/sub/min', 'history RPCs/sub/min', 'history events added', 'events delivered'],
    rows.map((row) => [
      row.design,
      String(row.subscribers),
      row.windowSeconds.toFixed(1),
      row.queriesPerSubscriberPerMinute.toFixed(2),
      row.historyRequestsPerSubscriberPerMinute.toFixed(2),
      String(row.historyEventsAdded),
      String(row.eventsDelivered),
    ]),
  );
}

function formatMs(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(1);
}
