import { percentile } from './statistics';

/** Percentiles of a latency sample, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Values above one second. */
  overOneSecond: number;
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
    overOneSecond: values.filter((value) => value > 1000).length,
  };
}

/** A fixed-width text table. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** A latency table: one row per label, p50/p90/p99/max in milliseconds, the sample size and how many took over 1 s. */
export function formatLatencyTable(firstColumn: string, rows: readonly LatencyRow[]): string {
  return formatTable(
    [firstColumn, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'samples', '> 1 s'],
    rows.map(({ label, summary }) => [
      label,
      formatMs(summary.p50),
      formatMs(summary.p90),
      formatMs(summary.p99),
      formatMs(summary.max),
      String(summary.count),
      String(summary.overOneSecond),
    ]),
  );
}

/** What one design's queries looked like on the wire during the latency tasks of one mode. */
export interface QueryLoadRow {
  label: string;
  tasks: number;
  attempts: number;
  /** Attempts sent while a workflow task was scheduled or running (no new event can be visible yet). */
  sentDuringWorkflowTask: number;
  /** Attempts refused with RESOURCE_EXHAUSTED (the workflow's consistent-query buffer was full). */
  refused: number;
  /** Round trips of the attempts that succeeded. */
  roundTrip: LatencySummary;
}

/** The query-load table of the latency phase. */
export function formatQueryLoadTable(rows: readonly QueryLoadRow[]): string {
  return formatTable(
    ['design', 'queries/task', 'sent during a workflow task', 'refused (buffer full)', 'OK p50 ms', 'OK p99 ms', 'OK max ms'],
    rows.map((row) => [
      row.label,
      row.tasks === 0 ? '-' : (row.attempts / row.tasks).toFixed(1),
      row.attempts === 0 ? '-' : `${row.sentDuringWorkflowTask} (${((100 * row.sentDuringWorkflowTask) / row.attempts).toFixed(0)}%)`,
      String(row.refused),
      formatMs(row.roundTrip.p50),
      formatMs(row.roundTrip.p99),
      formatMs(row.roundTrip.max),
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
