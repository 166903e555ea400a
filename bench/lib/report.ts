/**
 * What every benchmark prints and writes: plain-text tables, figures as median / p95 / min–max
 * with their ratio to a baseline measured in the same run, and `bench/results/<name>.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Summary } from './statistics';

/** Whether BENCH_QUICK asks for a smoke run. */
export function isQuick(environment: NodeJS.ProcessEnv): boolean {
  return environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
}

/**
 * Where every benchmark writes its JSON (raw run outputs, ignored by git), and `run-all` its
 * summary and charts (committed); a smoke run (BENCH_QUICK) writes all of it under `quick/`.
 */
export const RESULTS_DIRECTORY = join(__dirname, '..', 'results', ...(isQuick(process.env) ? ['quick'] : []));

/** One line of the suite's summary: a headline figure of a benchmark. */
export interface SummaryRow {
  benchmark: string;
  figure: string;
  unit: string;
  median: number;
  p95?: number;
  min?: number;
  max?: number;
  /** The figure over its baseline measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

/** What a benchmark writes: whether it ran to the end, its rows of the suite's summary, and whatever else it measured. */
export interface BenchmarkResults {
  complete: boolean;
  summary?: readonly SummaryRow[];
  [detail: string]: unknown;
}

/** A summary row from a sample's summary, its values divided by `scale` (1000 turns ms into s). */
export function summaryRow(
  row: Omit<SummaryRow, 'median' | 'p95' | 'min' | 'max'>,
  summary: Pick<Summary, 'median' | 'p95' | 'min' | 'max'>,
  scale = 1,
): SummaryRow {
  return { ...row, median: summary.median / scale, p95: summary.p95 / scale, min: summary.min / scale, max: summary.max / scale };
}

/** Writes `bench/results/<name>.json` with the run's time and machine; returns its path. */
export async function writeResults(name: string, results: BenchmarkResults): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const cpuList = cpus();
  const path = join(RESULTS_DIRECTORY, `${name}.json`);
  const document = {
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, platform: process.platform, cpus: cpuList.length, cpuModel: cpuList[0]?.model },
    ...results,
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

/** A plain-text table: the first `leftAligned` columns (text) left-aligned, the others right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], leftAligned = 1): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column < leftAligned ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary rows as one table. */
export function formatSummaryRows(rows: readonly SummaryRow[]): string {
  const cell = (value: number | undefined): string => (value === undefined ? '' : fixed(value, Math.abs(value) < 10 ? 2 : 1));
  return formatTable(
    ['benchmark', 'figure', 'unit', 'median', 'p95', 'min–max', 'vs baseline', 'baseline', 'note'],
    rows.map((row) => [
      row.benchmark,
      row.figure,
      row.unit,
      cell(row.median),
      cell(row.p95),
      row.min === undefined || row.max === undefined ? '' : `${fixed(row.min, 1)}–${fixed(row.max, 1)}`,
      row.ratio === undefined ? '' : ratio(row.ratio),
      row.baseline ?? '',
      row.note ?? '',
    ]),
    2,
  );
}

/** A number with `digits` decimals, or '–' when there is none. */
export function fixed(value: number | undefined | null, digits = 0): string {
  return value === undefined || value === null || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/** A same-run ratio, e.g. `1.07x`. */
export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}x`;
}

/** Cells of a sample: median, p95, min–max. */
export function summaryCells(summary: Summary, digits = 0, scale = 1): [string, string, string] {
  const cell = (value: number): string => fixed(value / scale, digits);
  return [cell(summary.median), cell(summary.p95), `${cell(summary.min)}–${cell(summary.max)}`];
}

/** Bytes as MiB with one decimal. */
export function mebibytes(bytes: number): string {
  return fixed(bytes / 2 ** 20, 1);
}
