import { ZapConfigurationError } from '../core/errors';

/** An MCP server reached over stdio: the worker starts it as a subprocess and talks over stdin/stdout. */
export interface StdioMcpClientConfig {
  /** Unique name of the server, 1-100 characters of `A-Z a-z 0-9 _ -`. */
  name: string;
  /** Executable to start, resolved through `PATH` when it is not a path. */
  command: string;
  /** Arguments passed to `command`. */
  args?: string[];
  /**
   * Variables passed to the server. The worker's own environment is NOT inherited, except a minimal
   * safe set (`PATH`, `HOME`, `USER`, … — the SDK's `getDefaultEnvironment()`), so worker secrets
   * never leak into third-party servers: pass what the server needs here.
   */
  env?: Record<string, string>;
  /** Working directory of the server process. @default the worker's working directory */
  cwd?: string;
  /** Send the task's context to this server (in `_meta['zap-agents/context']`). @default false */
  receiveContext?: boolean;
}

/** An MCP server reached over Streamable HTTP. */
export interface HttpMcpClientConfig {
  /** Unique name of the server, 1-100 characters of `A-Z a-z 0-9 _ -`. */
  name: string;
  /** Endpoint of the server, `http:` or `https:` (usually ending in `/mcp`). */
  url: string;
  /** Headers sent with every request (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /**
   * Send the task's context to this server (in `_meta['zap-agents/context']`). Off by default:
   * a third-party server never sees what it was not meant to. @default false
   */
  receiveContext?: boolean;
}

/** How the worker reaches one MCP server: a subprocess (`command`) or an HTTP endpoint (`url`). */
export type McpClientConfig = StdioMcpClientConfig | HttpMcpClientConfig;

/** Longest accepted server name; names end up in tool names the model sees, which are length-limited. */
export const MAX_MCP_SERVER_NAME_LENGTH = 100;

const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const STDIO_KEYS: ReadonlySet<string> = new Set(['name', 'command', 'args', 'env', 'cwd', 'receiveContext']);
const HTTP_KEYS: ReadonlySet<string> = new Set(['name', 'url', 'headers', 'receiveContext']);

/** True when the config starts a subprocess rather than calling a URL. */
export function isStdioMcpClientConfig(config: McpClientConfig): config is StdioMcpClientConfig {
  return 'command' in config;
}

/**
 * `command: node server.js` or `url: https://host/mcp`, for error messages: without the url's
 * credentials or query, which may hold secrets.
 */
export function describeMcpServerTarget(config: McpClientConfig): string {
  if (isStdioMcpClientConfig(config)) {
    return `command: ${[config.command, ...(config.args ?? [])].join(' ')}`;
  }
  const url = new URL(config.url);
  return `url: ${url.origin}${url.pathname}`;
}

/**
 * Checks an MCP server config coming from user code and returns a normalized copy.
 *
 * @param config the value to check
 * @param where prefix of error messages saying where the config came from, e.g. `Agent 'support' mcpServers[0]`
 * @throws ZapConfigurationError naming the offending field
 */
export function validateMcpClientConfig(config: unknown, where: string): McpClientConfig {
  const fail = (problem: string): never => {
    throw new ZapConfigurationError({ message: `${where}: invalid MCP server config: ${problem}` });
  };
  if (!isPlainObject(config)) {
    return fail(`expected an object with 'name' and either 'command' or 'url', got ${describeValue(config)}.`);
  }

  const name = config['name'];
  if (typeof name !== 'string' || name.length === 0) {
    return fail(`'name' must be a non-empty string, got ${describeValue(name)}.`);
  }
  if (name.length > MAX_MCP_SERVER_NAME_LENGTH) {
    return fail(`'name' must be at most ${MAX_MCP_SERVER_NAME_LENGTH} characters, got ${name.length}.`);
  }
  if (!SERVER_NAME_PATTERN.test(name)) {
    return fail(`'name' ('${name}') may only contain letters, digits, '_' and '-'.`);
  }

  const receiveContext = config['receiveContext'];
  if (receiveContext !== undefined && typeof receiveContext !== 'boolean') {
    return fail(`server '${name}': 'receiveContext' must be true or false, got ${describeValue(receiveContext)}.`);
  }
  const optIn = receiveContext === true ? { receiveContext: true } : {};

  const hasCommand = config['command'] !== undefined;
  const hasUrl = config['url'] !== undefined;
  if (hasCommand === hasUrl) {
    return fail(
      hasCommand
        ? `server '${name}' has both 'command' and 'url'; give exactly one.`
        : `server '${name}' needs either 'command' (stdio) or 'url' (Streamable HTTP).`,
    );
  }

  const allowedKeys = hasCommand ? STDIO_KEYS : HTTP_KEYS;
  const unknownKeys = Object.keys(config).filter(
    (key) => !allowedKeys.has(key) && config[key] !== undefined,
  );
  if (unknownKeys.length > 0) {
    const kind = hasCommand ? 'a stdio server (command)' : 'an HTTP server (url)';
    return fail(
      `server '${name}' is ${kind} and does not accept ${unknownKeys.map((key) => `'${key}'`).join(', ')}; ` +
        `allowed fields: ${[...allowedKeys].join(', ')}.`,
    );
  }

  if (hasCommand) {
    const command = config['command'];
    if (typeof command !== 'string' || command.trim().length === 0) {
      return fail(`server '${name}': 'command' must be a non-empty string, got ${describeValue(command)}.`);
    }
    const result: StdioMcpClientConfig = { name, command, ...optIn };
    const args = config['args'];
    if (args !== undefined) {
      if (!Array.isArray(args) || !args.every((argument) => typeof argument === 'string')) {
        return fail(`server '${name}': 'args' must be an array of strings, got ${describeValue(args)}.`);
      }
      result.args = [...(args as string[])];
    }
    const env = config['env'];
    if (env !== undefined) {
      result.env = validateStringRecord(env, `server '${name}': 'env'`, fail);
    }
    const cwd = config['cwd'];
    if (cwd !== undefined) {
      if (typeof cwd !== 'string' || cwd.length === 0) {
        return fail(`server '${name}': 'cwd' must be a non-empty string, got ${describeValue(cwd)}.`);
      }
      result.cwd = cwd;
    }
    return result;
  }

  const url = config['url'];
  if (typeof url !== 'string' || url.length === 0) {
    return fail(`server '${name}': 'url' must be a non-empty string, got ${describeValue(url)}.`);
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    return fail(`server '${name}': 'url' is not a valid URL: '${url}'.`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    return fail(`server '${name}': 'url' must use http or https, got '${parsedUrl.protocol}'.`);
  }
  const result: HttpMcpClientConfig = { name, url, ...optIn };
  const headers = config['headers'];
  if (headers !== undefined) {
    result.headers = validateStringRecord(headers, `server '${name}': 'headers'`, fail);
  }
  return result;
}

function validateStringRecord(
  value: unknown,
  label: string,
  fail: (problem: string) => never,
): Record<string, string> {
  if (!isPlainObject(value)) {
    return fail(`${label} must be an object of string values, got ${describeValue(value)}.`);
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      return fail(`${label}.${key} must be a string, got ${describeValue(entry)}.`);
    }
    result[key] = entry;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value}'`;
  return typeof value;
}
