import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as root from '../../src';

const REPOSITORY_ROOT = join(__dirname, '../..');

/**
 * The root `zap-agents` holds what every user needs; optional parts live behind subpaths
 * (`/codec`, `/nats`, `/local-model`, `/workflows`, `/testing`). Adding a value to src/index.ts
 * makes it public API: this list is the line held.
 */
const ROOT_VALUES = [
  'AgentNotFoundError',
  'ApprovalNotFoundError',
  'ApprovalRules',
  'LlmProviderError',
  'NoWorkerError',
  'Task',
  'TaskClosedError',
  'TaskNotFoundError',
  'TaskStatus',
  'ToolExecutionError',
  'VisionNotSupportedError',
  'Zap',
  'ZapAgent',
  'ZapConfigurationError',
  'ZapConnectionError',
  'ZapError',
  'ZapNotStartedError',
  'ZapValidationError',
  'imageFromBase64',
  'imageFromUrl',
  'runWorker',
  'textPart',
  'tool',
];

describe('the root export', () => {
  test(`has exactly the ${ROOT_VALUES.length} runtime values every user needs`, () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT_VALUES].sort());
    expect(ROOT_VALUES.length).toBeLessThanOrEqual(23);
  });

  test('loads no optional peer dependency and no server code', () => {
    const script =
      "require('./src/index.ts');" +
      'console.log(JSON.stringify(Object.keys(require.cache)));';
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: REPOSITORY_ROOT, encoding: 'utf8' }),
    ) as string[];
    const relative = loaded.map((path) => path.replace(`${REPOSITORY_ROOT}/`, ''));
    expect(relative).toContain('src/index.ts');
    const forbidden = relative.filter((path) =>
      /node_modules\/(@nats-io|node-llama-cpp)\/|^src\/(codec|nats|local-model|testing|openai-wire)\/|^src\/payload-store\//.test(path),
    );
    expect(forbidden).toEqual([]);
  });
});
