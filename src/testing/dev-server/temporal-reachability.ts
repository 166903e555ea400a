import { createConnection } from 'node:net';
import { Connection } from '@temporalio/client';

/** How long {@link isTemporalReachable} waits for an answer. */
export const DEFAULT_REACHABILITY_TIMEOUT_MS = 3_000;

/** gRPC health-check service name the Temporal frontend registers (what `temporal operator cluster health` checks). */
const WORKFLOW_SERVICE_HEALTH_NAME = 'temporal.api.workflowservice.v1.WorkflowService';
/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const HEALTH_STATUS_SERVING = 1;

/**
 * True when a Temporal frontend answers at `address` (`host:port`) within `timeoutMs`: a plain
 * TCP connect first (cheap, fails fast), then a gRPC health check of the workflow service. Never
 * throws; the connection is closed afterwards.
 */
export async function isTemporalReachable(
  address: string,
  timeoutMs: number = DEFAULT_REACHABILITY_TIMEOUT_MS,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const hostAndPort = parseAddress(address);
  if (hostAndPort === undefined) return false;
  if (!(await canConnectTcp(hostAndPort.host, hostAndPort.port, timeoutMs))) return false;
  // Without interceptors there are no gRPC retries: a probe answers now or fails, the caller polls.
  const connection = Connection.lazy({ address, connectTimeout: Math.max(deadline - Date.now(), 1), interceptors: [] });
  try {
    await connection.ensureConnected();
    const health = await connection.withDeadline(deadline, () =>
      connection.healthService.check({ service: WORKFLOW_SERVICE_HEALTH_NAME }),
    );
    return health.status === HEALTH_STATUS_SERVING;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function canConnectTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    const settle = (reachable: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(reachable);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { host: match[1], port: Number(match[2]) };
}
