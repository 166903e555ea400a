import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { temporalAddress } from '../support/harness';

const run = promisify(execFile);
const REPOSITORY_ROOT = resolve(__dirname, '../..');

/** Each example runs with one command, checks its own result, and exits 0 only when it holds. */
describe('examples', () => {
  test.each(['quickstart', 'approvals', 'delegation', 'agents-driving-zap', 'pipeline', 'order-workflow'])('%s runs end to end and checks its result', async (name) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${name}/main.ts`], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
      maxBuffer: 8 * 1024 * 1024,
    });
    expect(stdout).toMatch(/ OK\n$/);
    expect(stdout).toContain(`using the server at ${temporalAddress()}`);
    // No API key: the quickstart runs on the real local model, the others on the scripted one.
    expect(stdout).toContain(name === 'quickstart' ? 'on the CPU (llama.cpp)' : 'scripted demo model');
  }, 120_000);
});
