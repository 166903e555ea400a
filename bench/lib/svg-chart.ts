/**
 * A line chart as a standalone SVG document, written by hand (no dependencies): axes with ticks,
 * a grid, one polyline with markers per series, a legend, optional horizontal reference lines.
 */

/** One line of the chart. */
export interface ChartSeries {
  label: string;
  points: ReadonlyArray<{ x: number; y: number }>;
  /** CSS colour. */
  color: string;
  dashed?: boolean;
}

/** A labelled horizontal line, e.g. a limit. */
export interface ChartReferenceLine {
  label: string;
  y: number;
  color: string;
}

/** What {@link renderLineChart} draws. */
export interface LineChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** `log` spaces the x ticks by powers (concurrency 1, 10, 100, 500). @default 'linear' */
  xScale?: 'linear' | 'log';
  /** Tick values of the x axis. @default five evenly spaced values */
  xTicks?: readonly number[];
  /** Formats y tick labels. @default the value with up to one decimal */
  formatY?: (value: number) => string;
  references?: readonly ChartReferenceLine[];
  /** @default 760 */
  width?: number;
  /** @default 420 */
  height?: number;
}

const MARGIN = { top: 56, right: 24, bottom: 56, left: 72 };
const LEGEND_ROW = 18;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/** The chart as an SVG document. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 760;
  // The legend sits between the title and the plot, so it never hides a line or a label.
  const legendHeight = options.series.length * LEGEND_ROW + 8;
  const height = (options.height ?? 420) + legendHeight;
  const plot = { left: MARGIN.left, top: MARGIN.top + legendHeight, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const points = options.series.flatMap((series) => series.points).filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
  const xs = points.map((point) => point.x);
  const log = options.xScale === 'log';
  const xMin = Math.min(...xs, ...(options.xTicks ?? []));
  const xMax = Math.max(...xs, ...(options.xTicks ?? []));
  const yMax = niceCeiling(Math.max(...points.map((point) => point.y), ...(options.references ?? []).map((line) => line.y), 0) * 1.05);
  const xPosition = (x: number): number => {
    const [low, high, value] = log ? [Math.log10(xMin), Math.log10(xMax), Math.log10(x)] : [xMin, xMax, x];
    return plot.left + (high === low ? 0.5 : (value - low) / (high - low)) * (plot.right - plot.left);
  };
  const yPosition = (y: number): number => plot.bottom - (yMax === 0 ? 0 : y / yMax) * (plot.bottom - plot.top);
  const formatY = options.formatY ?? ((value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1)));
  const xTicks = options.xTicks ?? evenTicks(xMin, xMax, 5).map((tick) => (xMax - xMin >= 5 ? Math.round(tick) : tick));
  const yTicks = evenTicks(0, yMax, 5);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="24" font-size="16" font-weight="600" fill="#111">${escape(options.title)}</text>`,
  ];
  if (options.subtitle) parts.push(`<text x="${plot.left}" y="42" fill="#555">${escape(options.subtitle)}</text>`);
  for (const tick of yTicks) {
    const y = yPosition(tick);
    parts.push(
      `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${plot.left - 8}" y="${y + 4}" text-anchor="end" fill="#333">${escape(formatY(tick))}</text>`,
    );
  }
  for (const tick of xTicks) {
    const x = xPosition(tick);
    parts.push(
      `<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}" stroke="#f0f0f0"/>`,
      `<text x="${x}" y="${plot.bottom + 18}" text-anchor="middle" fill="#333">${escape(formatNumber(tick))}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#333"/>`,
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#333"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${height - 14}" text-anchor="middle" fill="#111">${escape(options.xLabel)}</text>`,
    `<text transform="translate(18 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#111">${escape(options.yLabel)}</text>`,
  );
  for (const line of options.references ?? []) {
    const y = yPosition(line.y);
    parts.push(
      `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="${line.color}" stroke-dasharray="2 3"/>`,
      `<text x="${plot.right - 4}" y="${y - 4}" text-anchor="end" fill="${line.color}">${escape(line.label)}</text>`,
    );
  }
  for (const series of options.series) {
    const valid = series.points.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
    if (valid.length === 0) continue;
    const path = valid.map((point) => `${xPosition(point.x).toFixed(1)},${yPosition(point.y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    // Markers only where they stay readable.
    if (valid.length <= 30) {
      for (const point of valid) {
        parts.push(`<circle cx="${xPosition(point.x).toFixed(1)}" cy="${yPosition(point.y).toFixed(1)}" r="3.5" fill="${series.color}"/>`);
      }
    }
  }
  options.series.forEach((series, index) => {
    const y = MARGIN.top + index * LEGEND_ROW;
    const x = plot.left;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${x + 28}" y="${y + 4}" fill="#111">${escape(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** 1, 2, 2.5, 3, 4 or 5 times a power of ten, at least `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 3, 4, 5, 10].find((factor) => factor * power >= value) ?? 10;
  return step * power;
}

function evenTicks(low: number, high: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, index) => low + ((high - low) * index) / count);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
