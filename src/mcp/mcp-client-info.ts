import * as fs from 'node:fs';
import * as path from 'node:path';

/** Name the pool announces to MCP servers in `initialize`. */
export const DEFAULT_MCP_CLIENT_NAME = 'zap-agents';

/** Version announced when the zap-agents package manifest cannot be found. */
const FALLBACK_CLIENT_VERSION = '0.1.0';
/** Folders walked up from this file (src/mcp/ or dist/src/mcp/) to find the package manifest. */
const MAX_MANIFEST_DEPTH = 5;

let cachedPackageVersion: string | undefined;

/** Name and version the pool announces to MCP servers unless told otherwise. */
export function defaultMcpClientInfo(): { name: string; version: string } {
  return { name: DEFAULT_MCP_CLIENT_NAME, version: packageVersion() };
}

/** Version of the installed zap-agents package, found by walking up from this file (src/ or dist/src/). */
function packageVersion(): string {
  if (cachedPackageVersion !== undefined) return cachedPackageVersion;
  cachedPackageVersion = FALLBACK_CLIENT_VERSION;
  let directory = __dirname;
  for (let depth = 0; depth < MAX_MANIFEST_DEPTH; depth += 1) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')) as unknown;
      if (isObject(manifest) && manifest['name'] === 'zap-agents' && typeof manifest['version'] === 'string') {
        cachedPackageVersion = manifest['version'];
        break;
      }
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return cachedPackageVersion;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
