import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { temporalAddress } from '../support/harness';

const execFileAsync = promisify(execFile);

/** execFile that puts the command's output into the error, so a failure explains itself. */
async function run(command: string, args: string[], options: Parameters<typeof execFileAsync>[2]) {
  try {
    return await execFileAsync(command, args, { maxBuffer: 32 * 1024 * 1024, ...options, encoding: 'utf8' });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${failure.message}\n--- stdout ---\n${failure.stdout ?? ''}\n--- stderr ---\n${failure.stderr ?? ''}`);
  }
}
const REPOSITORY_ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(REPOSITORY_ROOT, 'examples');

/** npm with the project's Node on PATH first, as `npm run` would set it up. */
function npmEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = `${join(REPOSITORY_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`;
  return { ...process.env, PATH: path, npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
}

describe('the published package', () => {
  let workDirectory: string;

  beforeAll(() => {
    workDirectory = mkdtempSync(join(tmpdir(), 'zap-agents-pack-'));
  });

  afterAll(() => {
    rmSync(workDirectory, { recursive: true, force: true });
  });

  test('installs from `npm pack` into an empty project, type-checks, and runs the quickstart', async () => {
    // 1. Pack (prepack builds dist/ with declarations).
    const packDirectory = join(workDirectory, 'pack');
    mkdirSync(packDirectory);
    await run('npm', ['pack', '--pack-destination', packDirectory], {
      cwd: REPOSITORY_ROOT,
      env: npmEnvironment(),
      maxBuffer: 32 * 1024 * 1024,
    });
    const tarball = readdirSync(packDirectory).find((file) => file.endsWith('.tgz'));
    expect(tarball).toMatch(/^zap-agents-\d+\.\d+\.\d+\.tgz$/);

    // 2. An empty user project that installs the tarball, as a user would.
    const project = join(workDirectory, 'user-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'commonjs' }));
    const versions = require(join(REPOSITORY_ROOT, 'package.json')).devDependencies as Record<string, string>;
    await run(
      'npm',
      ['install', '--prefer-offline', join(packDirectory, tarball as string), `tsx@${versions.tsx}`, `typescript@${versions.typescript}`, `@types/node@${versions['@types/node']}`],
      { cwd: project, env: npmEnvironment(), maxBuffer: 32 * 1024 * 1024 },
    );

    // 3. The three entry points resolve from the installed package.
    const { stdout: entryPoints } = await run(
      process.execPath,
      [
        '-e',
        "const z=require('zap-agents'); const w=require('zap-agents/workflows'); const t=require('zap-agents/testing');" +
          "console.log([typeof z.Zap, typeof z.ZapAgent, typeof z.tool, typeof w.agentWorkflow, typeof t.ScriptedLlmServer, typeof t.TemporalDevServer].join(','))",
      ],
      { cwd: project },
    );
    expect(entryPoints.trim()).toBe('function,function,function,function,function,function');

    // The prebuilt workflow bundle preloads zap's workflow modules (once per V8 context), as
    // workers bundling at start do; the quickstart below runs on it.
    const prebuilt = readFileSync(join(project, 'node_modules/zap-agents/dist/workflow-bundle.js'), 'utf8');
    expect(prebuilt).toMatch(/exports\.preloadModules = function preloadModules\(\) \{\s*__webpack_require__\([^)]*"\.\/dist\/src\/workflows\/index\.js"\)/);

    // 4. The quickstart, copied verbatim, type-checks against the published declarations and runs.
    const examples = join(project, 'examples');
    for (const folder of ['quickstart', 'shared']) {
      mkdirSync(join(examples, folder), { recursive: true });
      for (const file of readdirSync(join(EXAMPLES, folder))) copyFileSync(join(EXAMPLES, folder, file), join(examples, folder, file));
    }
    const example = join(examples, 'quickstart');
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        include: ['examples'],
      }),
    );
    await run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: project });

    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(example, 'main.ts')], {
      cwd: project,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: temporalAddress(),
        ZAP_TASK_QUEUE: `pack-${Date.now()}`,
        OPENAI_API_KEY: '',
        OPENAI_BASE_URL: '',
      },
      maxBuffer: 8 * 1024 * 1024,
    });
    expect(stdout).toContain('tool get_weather({"city":"Paris"})');
    expect(stdout).toContain('Quickstart OK');
  }, 600_000);
});
