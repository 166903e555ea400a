/**
 * What every example needs around its agents: a Temporal server (the one at TEMPORAL_ADDRESS,
 * else an embedded dev server) and a model endpoint (OPENAI_BASE_URL / OPENAI_API_KEY when set,
 * else a scripted OpenAI-compatible model on 127.0.0.1 that plays the example's part).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
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
export async function prepareExampleEnvironment(demoModel: ScriptHandler): Promise<ExampleEnvironment> {
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
  if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
    console.log(`Model: ${process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1'} (from the environment)`);
  } else {
    scripted = await ScriptedLlmServer.start({ handler: demoModel });
    process.env.OPENAI_BASE_URL = scripted.baseURL;
    console.log(`Model: no OPENAI_API_KEY or OPENAI_BASE_URL set; using a scripted demo model at ${scripted.baseURL}`);
  }
  return {
    async close() {
      await scripted?.close();
      await embedded?.stop();
    },
  };
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
