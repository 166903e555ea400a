/**
 * The Temporal dev server's own counters (Prometheus, `start-dev --metrics-port`): frontend RPCs by
 * method, persistence calls by operation (`UpdateWorkflowExecution` is one mutable-state write),
 * and visibility writes. Counted on the server, they are exact whatever else the machine does,
 * which makes them the noise-free part of a benchmark on a shared machine.
 */
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (for `--metrics-port`). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The dev server arguments that expose its metrics on `port`. */
export function metricsArguments(port: number): string[] {
  return ['--metrics-port', String(port)];
}

/** Counter values by key: `rpc:<Method>` (frontend), `persistence:<Operation>`, `visibility:<Operation>`. */
export type MetricsSnapshot = ReadonlyMap<string, number>;

const COUNTER_LINE = /^(service_requests|persistence_requests|visibility_persistence_requests)\{(.*)\}\s+(\S+)$/;
const KIND: Record<string, string> = { service_requests: 'rpc', persistence_requests: 'persistence', visibility_persistence_requests: 'visibility' };

/** Reads the counters of the dev server whose metrics listen on `port`. */
export async function scrapeServerMetrics(port: number): Promise<MetricsSnapshot> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`The dev server's metrics answered ${response.status}.`);
  const counters = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = COUNTER_LINE.exec(line);
    if (!match) continue;
    const [, name, labels, value] = match as unknown as [string, string, string, string];
    // Frontend RPCs only: internal service-to-service calls are counted under other service names.
    if (name === 'service_requests' && !labels.includes('service_name="frontend"')) continue;
    const operation = /operation="([^"]*)"/.exec(labels)?.[1] ?? 'unknown';
    const key = `${KIND[name]}:${operation}`;
    counters.set(key, (counters.get(key) ?? 0) + Number(value));
  }
  return counters;
}

/** What the server counted between two snapshots, divided by `per` (e.g. tasks). */
export function countersBetween(before: MetricsSnapshot, after: MetricsSnapshot, per = 1): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [key, value] of after) {
    const difference = value - (before.get(key) ?? 0);
    if (difference > 0) delta.set(key, difference / per);
  }
  return delta;
}

/** The sum of the counters whose key starts with `prefix` (e.g. `rpc:` for every frontend RPC). */
export function sumOf(counters: ReadonlyMap<string, number>, prefix: string): number {
  let total = 0;
  for (const [key, value] of counters) if (key.startsWith(prefix)) total += value;
  return total;
}
