/**
 * Draws the charts of the README from the latest results:
 *
 *   bench/results/throughput.svg       tasks/s against concurrency (throughput.json)
 *   bench/results/history-growth.svg   history size against turns (history-growth.json)
 *
 *   npx tsx bench/charts.ts
 *
 * A chart whose JSON is missing is skipped with a note; the exit code is 0 unless writing fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULTS_DIRECTORY } from './lib/report';
import { renderLineChart, type ChartSeries } from './lib/svg-chart';

const COLORS: Record<string, string> = { zap: '#2563eb', bare: '#6b7280', 'bare-local': '#a855f7', 'zap-tuned': '#16a34a' };
const SIDE_LABELS: Record<string, string> = {
  zap: 'zap-agents, default worker',
  bare: 'bare Temporal workflow (baseline)',
  'bare-local': 'bare workflow, tool as local activity',
  'zap-tuned': 'zap-agents, more slots and pollers',
};
const VARIANT_COLORS = ['#2563eb', '#93c5fd', '#dc2626', '#fca5a5'];
const MIB = 1024 * 1024;

interface ThroughputDocument {
  generatedAt: string;
  environment: { cpus: number };
  levels: Array<{ side: string; concurrency: number; tasksPerSecond: { median: number } }>;
}

interface HistoryDocument {
  generatedAt: string;
  settings: { limits: { SUGGEST_SIZE_BYTES: number; PAYLOAD_LIMIT_BYTES: number } };
  variants: Array<{
    label: string;
    points: Array<{ turn: number; bytes: number }>;
    carried: Array<{ turn: number; bytes: number }>;
    messageBytes: number;
    inlineMessageBytes: number | null;
  }>;
}

/** Writes both charts; returns the paths written. */
export async function renderCharts(): Promise<string[]> {
  const written: string[] = [];
  const throughput = readJson<ThroughputDocument>('throughput.json');
  if (throughput) {
    const sides = [...new Set(throughput.levels.map((level) => level.side))];
    const series: ChartSeries[] = sides.map((side) => ({
      label: SIDE_LABELS[side] ?? side,
      color: COLORS[side] ?? '#111',
      dashed: side.startsWith('bare'),
      points: throughput.levels
        .filter((level) => level.side === side)
        .sort((left, right) => left.concurrency - right.concurrency)
        .map((level) => ({ x: level.concurrency, y: level.tasksPerSecond.median })),
    }));
    const ticks = [...new Set(throughput.levels.map((level) => level.concurrency))].sort((left, right) => left - right);
    const path = join(RESULTS_DIRECTORY, 'throughput.svg');
    await writeFile(
      path,
      renderLineChart({
        title: 'Throughput of one worker process',
        subtitle: `tasks/s (median of slices) by tasks in flight; one tool round per task, zero-latency model; ${throughput.environment.cpus} cores, ${throughput.generatedAt.slice(0, 10)}`,
        xLabel: 'concurrent tasks (log scale)',
        yLabel: 'tasks per second',
        xScale: 'log',
        xTicks: ticks,
        series,
      }),
    );
    written.push(path);
  } else {
    console.error('charts: no throughput.json; skipping throughput.svg');
  }

  const history = readJson<HistoryDocument>('history-growth.json');
  if (history && history.variants.length > 0) {
    const series: ChartSeries[] = history.variants.map((variant, index) => ({
      label: `history, ${variant.label}`,
      color: VARIANT_COLORS[index % VARIANT_COLORS.length]!,
      points: variant.points.map((point) => ({ x: point.turn, y: point.bytes / MIB })),
    }));
    const first = history.variants[0]!;
    const lastTurn = first.points.at(-1)?.turn ?? 0;
    const [from, to] = [first.carried[0], first.carried.at(-1)];
    if (from && to && to.turn > from.turn) {
      // The carried state grows linearly too; draw its line over the whole run.
      const slope = (to.bytes - from.bytes) / (to.turn - from.turn);
      const at = (turn: number): number => (from.bytes + slope * (turn - from.turn)) / MIB;
      series.push({
        label: `continue-as-new input, ${first.label}`,
        color: '#f59e0b',
        dashed: true,
        points: [
          { x: 1, y: at(1) },
          { x: lastTurn, y: at(lastTurn) },
        ],
      });
    }
    const path = join(RESULTS_DIRECTORY, 'history-growth.svg');
    await writeFile(
      path,
      renderLineChart({
        title: 'History size of one conversation',
        subtitle: `encoded history after each turn (a follow-up and its answer); ${history.generatedAt.slice(0, 10)}`,
        xLabel: 'turn',
        yLabel: 'MiB',
        xTicks: [1, ...[1, 2, 3, 4].map((quarter) => Math.round((lastTurn * quarter) / 4))],
        series,
        formatY: (value) => value.toFixed(1),
        references: [
          { label: 'payload limit (2 MB): the most continue-as-new can carry', y: history.settings.limits.PAYLOAD_LIMIT_BYTES / MIB, color: '#b91c1c' },
        ],
      }),
    );
    written.push(path);
  } else {
    console.error('charts: no history-growth.json; skipping history-growth.svg');
  }
  return written;
}

function readJson<T>(name: string): T | undefined {
  const path = join(RESULTS_DIRECTORY, name);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

if (require.main === module) {
  renderCharts()
    .then((paths) => {
      for (const path of paths) console.log(`chart: ${path}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
