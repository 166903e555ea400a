import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Zap, ZapAgent } from '../../src';
import { createMcpHttpHandler, LOCALHOST_NAMES } from '../../src/mcp-server';
import { OPERATOR_PRINCIPAL, ZapOperations } from '../../src/operations';
import { serveMcpHandler, type ServedMcpHandler } from '../fixtures/mcp-server/serve-mcp-handler';
import { temporalAddress, uniqueTaskQueue } from '../support/harness';

const run = promisify(execFile);
const REPOSITORY_ROOT = resolve(__dirname, '../..');
const CONFORMANCE_CLI = join(REPOSITORY_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const BASELINE_PATH = join(REPOSITORY_ROOT, 'test/mcp-conformance/baseline.json');

interface Baseline {
  conformance: string;
  scenarios: Record<string, { expected: 'pass' | 'not-applicable'; reason: string }>;
}

interface ConformanceCheck {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}

/** `server-<scenario>-<timestamp>` folders of a run's output directory, read back. */
function readResults(outputDirectory: string): Map<string, ConformanceCheck[]> {
  const results = new Map<string, ConformanceCheck[]>();
  for (const folder of readdirSync(outputDirectory)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(folder)?.[1];
    if (!scenario) continue;
    results.set(scenario, JSON.parse(readFileSync(join(outputDirectory, folder, 'checks.json'), 'utf8')) as ConformanceCheck[]);
  }
  return results;
}

/**
 * The MCP conformance suite (server mode, every scenario) against the Streamable HTTP handler.
 * test/mcp-conformance/baseline.json says, for every scenario, `pass` or `not-applicable` and
 * why; a `pass` scenario that fails, or a scenario the baseline does not list, fails the test.
 * The suite talks only to the URL it is given (127.0.0.1): it runs offline.
 */
describe('MCP conformance', () => {
  let zap: Zap<any>;
  let served: ServedMcpHandler;
  let outputDirectory: string;

  beforeAll(async () => {
    zap = new Zap({
      agents: [new ZapAgent({ name: 'Assistant', prompt: 'You help.' })],
      taskQueue: uniqueTaskQueue('mcp-conformance'),
      temporal: { address: temporalAddress() },
    });
    await zap.start();
    const handler = createMcpHttpHandler({ operations: new ZapOperations({ zap }), allowedHosts: LOCALHOST_NAMES });
    served = await serveMcpHandler(handler, () => OPERATOR_PRINCIPAL);
    outputDirectory = mkdtempSync(join(tmpdir(), 'zap-mcp-conformance-'));
  });

  afterAll(async () => {
    await served?.close();
    await zap?.stop();
    if (outputDirectory) rmSync(outputDirectory, { recursive: true, force: true });
  });

  test('every scenario the baseline marks `pass` passes, and the baseline lists every scenario', async () => {
    const baseline = JSON.parse(readFileSync(BASELINE_PATH, 'utf8')) as Baseline;
    const installed = JSON.parse(
      readFileSync(join(REPOSITORY_ROOT, 'node_modules/@modelcontextprotocol/conformance/package.json'), 'utf8'),
    ) as { version: string };
    expect(installed.version).toBe(baseline.conformance);

    // Exits non-zero because not-applicable scenarios fail; their results are judged below.
    await run(process.execPath, [CONFORMANCE_CLI, 'server', '--url', served.url, '--suite', 'all', '--output-dir', outputDirectory], {
      cwd: outputDirectory,
      maxBuffer: 32 * 1024 * 1024,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      if (typeof error.code !== 'number') throw error;
    });
    const results = readResults(outputDirectory);

    expect([...results.keys()].sort()).toEqual(Object.keys(baseline.scenarios).sort());
    const regressions = Object.entries(baseline.scenarios)
      .filter(([, entry]) => entry.expected === 'pass')
      .flatMap(([scenario]) => {
        const checks = results.get(scenario) ?? [];
        const failed = checks.filter((check) => check.status === 'FAILURE');
        if (checks.length > 0 && failed.length === 0) return [];
        return [`${scenario}: ${failed.map((check) => `${check.id}: ${check.errorMessage ?? 'failed'}`).join('; ') || 'no checks ran'}`];
      });
    expect(regressions).toEqual([]);
    // The passing scenarios really ran against this server.
    expect(results.get('tools-list')?.find((check) => check.id === 'tools-list')).toMatchObject({ status: 'SUCCESS' });
  }, 240_000);
});
