import { join } from 'node:path';
import { DEFAULT_TEMPORAL_DEV_SERVER_IP } from '../temporal-dev-server';

/** gRPC port unless `TEMPORAL_PORT` says otherwise (the CLI's own default). */
export const DEFAULT_DEV_SERVER_PORT = 7233;
/** Web UI port = gRPC port + this, unless `TEMPORAL_UI_PORT` says otherwise (the CLI's own rule). */
export const DEV_SERVER_UI_PORT_OFFSET = 1000;
/** Seconds `start` waits for the server to answer unless `TEMPORAL_START_TIMEOUT` says otherwise. */
export const DEFAULT_DEV_SERVER_START_TIMEOUT_SECONDS = 30;
/** Folder of the current directory that holds the server's state, log and pid. */
export const DEV_SERVER_STATE_DIRECTORY = '.temporal';
/** How the printed hints call this command unless `ZAP_DEV_COMMAND` says otherwise. */
const DEFAULT_COMMAND_NAME = 'npx zap-dev';

/** Where and how the dev server of one folder runs. */
export interface DevServerSettings {
  readonly directory: string;
  readonly dbFile: string;
  readonly logFile: string;
  /** The running server's host process: `{ pid, address, uiUrl, serverPid? }`. */
  readonly stateFile: string;
  readonly port: number;
  readonly uiPort: number;
  readonly address: string;
  readonly uiUrl: string;
  readonly startTimeoutMs: number;
  readonly commandName: string;
}

/** The settings of the dev server of `workingDirectory`, from `TEMPORAL_*` and `ZAP_DEV_COMMAND`. */
export function readDevServerSettings(environment: NodeJS.ProcessEnv, workingDirectory: string): DevServerSettings {
  const port = readPort(environment, 'TEMPORAL_PORT') ?? DEFAULT_DEV_SERVER_PORT;
  const uiPort = readPort(environment, 'TEMPORAL_UI_PORT') ?? port + DEV_SERVER_UI_PORT_OFFSET;
  const startTimeoutSeconds = Number(environment.TEMPORAL_START_TIMEOUT || DEFAULT_DEV_SERVER_START_TIMEOUT_SECONDS);
  if (!(startTimeoutSeconds > 0)) throw new Error(`TEMPORAL_START_TIMEOUT=${environment.TEMPORAL_START_TIMEOUT} is not a number of seconds`);
  const directory = join(workingDirectory, DEV_SERVER_STATE_DIRECTORY);
  return {
    directory,
    dbFile: join(directory, 'dev.db'),
    logFile: join(directory, 'dev.log'),
    stateFile: join(directory, 'dev.json'),
    port,
    uiPort,
    address: `${DEFAULT_TEMPORAL_DEV_SERVER_IP}:${port}`,
    uiUrl: `http://${DEFAULT_TEMPORAL_DEV_SERVER_IP}:${uiPort}`,
    startTimeoutMs: startTimeoutSeconds * 1000,
    commandName: environment.ZAP_DEV_COMMAND || DEFAULT_COMMAND_NAME,
  };
}

function readPort(environment: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = environment[name];
  if (!value) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name}=${value} is not a port number`);
  return port;
}
