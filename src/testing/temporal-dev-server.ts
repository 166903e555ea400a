import { resolve } from 'node:path';
import type { SearchAttributeKey, SearchAttributeType } from '@temporalio/common/lib/search-attributes';
import { ZAP_SEARCH_ATTRIBUTES } from '../core/search-attributes';
import { formatAddress, pickFreePort } from './dev-server/local-ports';
import { launchServer, readTail, stopServer, type ServerRun } from './dev-server/server-process';
import { findTemporalCli } from './dev-server/temporal-cli-lookup';

export { buildSupervisedCommand } from './dev-server/process-guard';
export { findPackageRoot, findTemporalCli, TEMPORAL_CLI_INSTALL_HINT } from './dev-server/temporal-cli-lookup';
export { DEFAULT_REACHABILITY_TIMEOUT_MS, isTemporalReachable } from './dev-server/temporal-reachability';

/** Interface the dev server binds to unless told otherwise; loopback keeps it off the network. */
export const DEFAULT_TEMPORAL_DEV_SERVER_IP = '127.0.0.1';
/** Namespace the dev server serves unless told otherwise (the CLI always creates it). */
export const DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE = 'default';
/** How long {@link TemporalDevServer.start} waits for the server to serve its namespace. */
export const DEFAULT_TEMPORAL_DEV_SERVER_START_TIMEOUT_MS = 30_000;
/** Server log level; `warn` keeps test output quiet while still surfacing real problems. */
export const DEFAULT_TEMPORAL_DEV_SERVER_LOG_LEVEL = 'warn';

/** Output kept by {@link TemporalDevServer.output}. */
const OUTPUT_LIMIT_CHARS = 64 * 1024;

/** Options of {@link TemporalDevServer.start}. */
export interface TemporalDevServerOptions {
  /**
   * Path of the temporal CLI binary.
   * @default resolved by {@link findTemporalCli} (never downloaded)
   */
  executable?: string;
  /**
   * Interface the gRPC frontend (and the Web UI) binds to. The SDK checks readiness on
   * 127.0.0.1, so use a loopback or wildcard IPv4 address.
   * @default '127.0.0.1'
   */
  ip?: string;
  /**
   * gRPC port; 0 picks a free port.
   * @default 0
   */
  port?: number;
  /**
   * Web UI port; 0 picks a free port, `false` runs headless (`--headless`).
   * @default 0
   */
  uiPort?: number | false;
  /**
   * SQLite file for a persistent server whose state survives restarts; its folder is created.
   * @default undefined (in-memory: state is lost when the server stops)
   */
  dbFilename?: string;
  /**
   * Namespace to serve; created at launch when it is not `default`.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Custom search attributes registered in the namespace (`--search-attribute Name=Type`, and
   * through the operator service on a persistent server whose database predates them). `false`
   * registers none, like a server that nobody prepared for zap-agents.
   * @default the zap-agents attributes (`ZapAgent`, `ZapStatus`, `ZapTenant`, `ZapUser`, `ZapParent`, Keyword)
   */
  searchAttributes?: readonly SearchAttributeKey<SearchAttributeType>[] | false;
  /**
   * Extra arguments appended to `temporal server start-dev`.
   * @default []
   */
  extraArgs?: string[];
  /**
   * Milliseconds to wait for the server to serve its namespace once it answers. (The SDK itself
   * gives the process 5 seconds to answer at all.)
   * @default 30000
   */
  startTimeoutMs?: number;
  /**
   * Server log level (`debug`, `info`, `warn`, `error`).
   * @default 'warn'
   */
  logLevel?: string;
  /**
   * File the server's stdout and stderr are appended to; its folder is created.
   * @default a file in a temporary folder, removed by `stop()`
   */
  logFile?: string;
}

/**
 * {@link TemporalDevServerOptions} after defaults were applied and ports picked, so that
 * {@link TemporalDevServer.restart} brings the server back on the same address with the same state.
 */
export interface ResolvedTemporalDevServerOptions {
  /** Path of the temporal CLI binary. */
  readonly executable: string;
  /** Interface the server binds to. */
  readonly ip: string;
  /** gRPC port (never 0). */
  readonly port: number;
  /** Web UI port (never 0), or `false` when headless. */
  readonly uiPort: number | false;
  /** SQLite file, or `undefined` for an in-memory server. */
  readonly dbFilename: string | undefined;
  /** Namespace served. */
  readonly namespace: string;
  /** Custom search attributes registered in the namespace. */
  readonly searchAttributes: readonly SearchAttributeKey<SearchAttributeType>[];
  /** Extra `start-dev` arguments. */
  readonly extraArgs: readonly string[];
  /** Milliseconds to wait for the namespace. */
  readonly startTimeoutMs: number;
  /** Server log level. */
  readonly logLevel: string;
  /** Log file, or `undefined` for a temporary one. */
  readonly logFile: string | undefined;
}

/**
 * A `temporal server start-dev` process for tests and local development, run by
 * `@temporalio/testing` (`TestWorkflowEnvironment.createLocal`). Two things are added around the
 * SDK: the server's output goes to a file instead of this process's stdout, and the server never
 * outlives this process: the SDK kills it when Node exits normally, and a tiny guard kills it
 * when Node is killed (SIGKILL included), which the SDK does not cover. A running server does not
 * keep Node's event loop alive. Linux and macOS (the server is launched through `/bin/sh`).
 *
 * Like `TestWorkflowEnvironment`, starting one instantiates Temporal's `Runtime` if none exists
 * (call `Runtime.install(...)` before, if you configure it); while it lives, the Runtime catches the
 * first SIGINT/SIGTERM to shut workers down gracefully.
 *
 * @example
 * ```ts
 * const server = await TemporalDevServer.start({ uiPort: false });
 * const connection = await Connection.connect({ address: server.address });
 * // ...
 * await connection.close();
 * await server.stop();
 * ```
 */
export class TemporalDevServer {
  /** The options in effect, with ports resolved; {@link restart} reuses them. */
  readonly options: ResolvedTemporalDevServerOptions;
  /** gRPC address, `ip:port`. */
  readonly address: string;
  /** Web UI URL, or `undefined` when headless. */
  readonly uiUrl: string | undefined;
  /** Namespace served. */
  readonly namespace: string;
  private run: ServerRun;

  private constructor(options: ResolvedTemporalDevServerOptions, run: ServerRun) {
    this.options = options;
    this.address = formatAddress(options.ip, options.port);
    this.uiUrl = options.uiPort === false ? undefined : `http://${formatAddress(options.ip, options.uiPort)}`;
    this.namespace = options.namespace;
    this.run = run;
  }

  /**
   * Starts a dev server and resolves once it answers gRPC requests and serves its namespace.
   * Rejects (with the tail of the server's output) when it does not; nothing is left running then.
   */
  static async start(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
    if (process.platform === 'win32') throw new Error('TemporalDevServer runs on Linux and macOS (it launches the server through /bin/sh).');
    const resolvedOptions = await resolveOptions(options);
    return new TemporalDevServer(resolvedOptions, await launchServer(resolvedOptions));
  }

  /** pid of the temporal server process; changes on {@link restart}. */
  get pid(): number {
    return this.run.pid;
  }

  /** The most recent stdout/stderr of the server (bounded), for diagnostics. */
  get output(): string {
    return readTail(this.run.logFile, OUTPUT_LIMIT_CHARS);
  }

  /**
   * Stops the server the SDK's way (SIGKILL; a persistent server's SQLite state survives it) and
   * resolves once the process is gone and its connections are closed. Does nothing when already stopped.
   */
  async stop(): Promise<void> {
    const run = this.run;
    run.stopped ??= stopServer(run);
    await run.stopped;
  }

  /** Kills the server like a crash. The SDK's stop already is a SIGKILL, so this is {@link stop}. */
  async kill(): Promise<void> {
    await this.stop();
  }

  /**
   * Stops the server (if running) and starts it again on the same address with the same options.
   * With `dbFilename` set, workflows survive; without it, the new server starts empty.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.run = await launchServer(this.options);
  }
}

async function resolveOptions(options: TemporalDevServerOptions): Promise<ResolvedTemporalDevServerOptions> {
  const ip = options.ip ?? DEFAULT_TEMPORAL_DEV_SERVER_IP;
  const executable = options.executable ?? (await findTemporalCli());
  const port = options.port === undefined || options.port === 0 ? await pickFreePort(ip) : options.port;
  let uiPort: number | false;
  if (options.uiPort === false) uiPort = false;
  else if (options.uiPort === undefined || options.uiPort === 0) uiPort = await pickFreePort(ip, [port]);
  else uiPort = options.uiPort;
  return {
    executable,
    ip,
    port,
    uiPort,
    dbFilename: options.dbFilename === undefined ? undefined : resolve(options.dbFilename),
    namespace: options.namespace ?? DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE,
    searchAttributes: options.searchAttributes === false ? [] : [...(options.searchAttributes ?? ZAP_SEARCH_ATTRIBUTES)],
    extraArgs: [...(options.extraArgs ?? [])],
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_TEMPORAL_DEV_SERVER_START_TIMEOUT_MS,
    logLevel: options.logLevel ?? DEFAULT_TEMPORAL_DEV_SERVER_LOG_LEVEL,
    logFile: options.logFile === undefined ? undefined : resolve(options.logFile),
  };
}
