/**
 * A real agent task on a real local model: SmolLM2-135M-Instruct (GGUF, from the PyPI wheel that
 * `scripts/ensure-local-model.sh` unpacks) served by `LocalModelServer` through llama.cpp on the CPU,
 * with the quickstart's `get_weather` tool from an MCP server over stdio. Asserts behaviour (the
 * tool was called with a city and the task completed), never the model's wording.
 *
 * The server runs in its own process: node-llama-cpp is an ES module with top-level await, which
 * Jest's CommonJS transform cannot load in process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { Zap, ZapAgent } from '../../src';
import { temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion } from '../support/harness';
import type { LocalModelStatistics } from '../../src/local-model/local-model-server';
import type { Worker } from '@temporalio/worker';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const WEATHER_SERVER = resolve(REPOSITORY_ROOT, 'examples/quickstart/weather-server.ts');
/** Fetching the wheel (once) plus loading the model; generous for a loaded 2-core machine. */
const SETUP_TIMEOUT_MS = 10 * 60_000;
const TASK_TIMEOUT_MS = 5 * 60_000;
/** Structured output: bounded strings and a boolean, so the grammar keeps a tiny model's JSON short. */
const CAPITAL = z.object({ country: z.string().max(40), capital: z.string().max(40), isCoastal: z.boolean() });

interface LocalModelProcess {
  child: ChildProcess;
  baseURL: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts `src/local-model/run-local-model-server.ts` and waits for its `{ baseURL }` line. */
async function startLocalModelProcess(modelPath: string): Promise<LocalModelProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(REPOSITORY_ROOT, 'src/local-model/run-local-model-server.ts'), '--model', modelPath, '--temperature', '0', '--stop-on-stdin-end'],
    { cwd: REPOSITORY_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let errorOutput = '';
  child.stderr?.on('data', (chunk: Buffer) => (errorOutput += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const firstLine = await new Promise<string>((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolveLine(line));
    child.once('exit', (code, signal) =>
      reject(new Error(`the local model server exited (${code ?? signal}) before listening:\n${errorOutput}`)),
    );
  });
  const { baseURL } = JSON.parse(firstLine) as { baseURL: string };
  return {
    child,
    baseURL,
    url: baseURL.replace(/\/v1$/, ''),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('an agent task on the local model', () => {
  let localModel: LocalModelProcess | undefined;
  let zap: Zap<any>;
  let worker: Worker;
  let running: Promise<void>;
  let modelLoadMs = 0;

  beforeAll(async () => {
    const modelPath = execFileSync('bash', [resolve(REPOSITORY_ROOT, 'scripts/ensure-local-model.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: SETUP_TIMEOUT_MS,
    }).trim();
    const loadStarted = Date.now();
    localModel = await startLocalModelProcess(modelPath);
    modelLoadMs = Date.now() - loadStarted;
    zap = new Zap<any>({
      agents: [
        new ZapAgent({
          name: 'LocalWeather',
          prompt: 'You answer questions about the weather. Always call get_weather; never guess.',
          model: 'SmolLM2-135M-Instruct',
          mcpClients: [{ name: 'weather', command: process.execPath, args: ['--import', 'tsx', WEATHER_SERVER], cwd: REPOSITORY_ROOT }],
          maxIterations: 5,
        }),
        new ZapAgent({
          name: 'LocalCapital',
          prompt: 'You answer questions about countries.',
          model: 'SmolLM2-135M-Instruct',
          output: CAPITAL,
          supportsStructuredOutput: true,
          maxIterations: 3,
        }),
      ],
      taskQueue: uniqueTaskQueue('local-model'),
      temporal: { address: temporalAddress() },
      llm: { baseURL: localModel.baseURL, apiKey: 'local' },
    });
    await zap.start();
    worker = await zap.createWorker(testWorkerOptions());
    running = worker.run();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await zap?.stop();
    await running;
    await localModel?.stop();
  });

  test(
    'calls the MCP tool and completes',
    async () => {
      const started = Date.now();
      const { id } = await zap.executeTask({ agentName: 'LocalWeather', task: 'What is the weather in Paris right now?' });
      const task = await waitForCompletion(zap, id, TASK_TIMEOUT_MS);
      const wallMs = Date.now() - started;

      const calls = task.getToolCalls();
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls[0]).toMatchObject({ name: 'get_weather', arguments: { city: expect.any(String) } });
      expect(task.status).toBe('completed');
      expect(typeof task.result).toBe('string');

      const statistics = (await (await fetch(`${localModel!.url}/statistics`)).json()) as LocalModelStatistics;
      expect(statistics.requests).toBeGreaterThanOrEqual(2);
      console.log(
        [
          `local model: load ${(modelLoadMs / 1000).toFixed(1)} s (process start included), task wall time ${(wallMs / 1000).toFixed(1)} s,`,
          `${statistics.requests} model calls, ${calls.length} tool call(s): ${calls.map((call) => `${call.name}(${JSON.stringify(call.arguments)}) → ${call.result}`).join('; ')}`,
          `prompt ${statistics.promptTokens} tokens in ${statistics.promptSeconds.toFixed(2)} s (${statistics.promptTokensPerSecond.toFixed(0)} tokens/s),`,
          `generation ${statistics.completionTokens} tokens in ${statistics.generationSeconds.toFixed(2)} s (${statistics.generationTokensPerSecond.toFixed(1)} tokens/s)`,
          `answer: ${JSON.stringify(task.result)}`,
        ].join('\n'),
      );
    },
    TASK_TIMEOUT_MS + 30_000,
  );

  test(
    'answers in JSON matching the output schema (response_format decoded under its grammar)',
    async () => {
      const before = (await (await fetch(`${localModel!.url}/statistics`)).json()) as LocalModelStatistics;
      const { id } = await zap.executeTask({ agentName: 'LocalCapital', task: 'What is the capital of France?' });
      await waitForCompletion(zap, id, TASK_TIMEOUT_MS);
      const task = await zap.getTask(id, { outputSchema: CAPITAL });

      // The grammar makes the answer well formed: valid at the first call, no repair turn.
      expect(task.status).toBe('completed');
      expect(task.outputError).toBeUndefined();
      expect(CAPITAL.safeParse(task.output).success).toBe(true);
      expect(JSON.parse(task.result ?? '')).toEqual(task.output);
      const after = (await (await fetch(`${localModel!.url}/statistics`)).json()) as LocalModelStatistics;
      expect(after.requests - before.requests).toBe(1);
      console.log(`local model structured answer: ${task.result}`);
    },
    TASK_TIMEOUT_MS + 30_000,
  );
});
