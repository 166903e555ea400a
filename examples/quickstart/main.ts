/**
 * Quickstart: one agent task end to end on Temporal.
 *
 *   npm run demo
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS (default localhost:7233), or starts an embedded
 * dev server when none answers. Uses OPENAI_BASE_URL / OPENAI_API_KEY when set (OpenAI, a
 * LiteLLM proxy, …), else a scripted demo model on 127.0.0.1. Exits non-zero if the task did not
 * call its MCP tool and complete.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { isTemporalReachable, TemporalDevServer, type ScriptedLlmServer } from 'zap-agents/testing';
import { startDemoModel } from './demo-model';
import { createQuickstartZap } from './zap';

// Worker lifecycle messages are INFO; keep the demo output to what matters.
Runtime.install({ logger: new DefaultLogger('WARN') });

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  let embedded: TemporalDevServer | undefined;
  if (await isTemporalReachable(address)) {
    console.log(`Temporal: using the server at ${address}`);
  } else {
    console.log(`Temporal: nothing answers at ${address}; starting an embedded dev server…`);
    embedded = await TemporalDevServer.start({ uiPort: false });
    process.env.TEMPORAL_ADDRESS = embedded.address;
    console.log(`Temporal: embedded dev server at ${embedded.address}`);
  }

  let demoModel: ScriptedLlmServer | undefined;
  if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
    console.log(`Model: ${process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'} (from the environment)`);
  } else {
    demoModel = await startDemoModel();
    process.env.OPENAI_BASE_URL = demoModel.baseURL;
    console.log(`Model: no OPENAI_API_KEY or OPENAI_BASE_URL set; using the scripted demo model at ${demoModel.baseURL}`);
  }

  // Built after the environment is settled: the Zap reads TEMPORAL_ADDRESS at construction.
  const zap = createQuickstartZap();
  await zap.start();
  const worker = await zap.createWorker();
  const running = worker.run();
  let ok = false;
  try {
    const started = await zap.executeTask({ agentName: 'WeatherAssistant', task: 'What is the weather in Paris right now?' });
    console.log(`Task ${started.id} started`);
    const deadline = Date.now() + 120_000;
    let task = await zap.getTask(started.id);
    while (!task.isComplete() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      task = await zap.getTask(started.id);
    }
    for (const call of task.getToolCalls()) console.log(`  tool ${call.name}(${JSON.stringify(call.arguments)}) → ${call.result}`);
    console.log(`Status: ${task.status}`);
    console.log(`Answer: ${task.result ?? task.error}`);
    const calledWeather = task.getToolCalls().some((call) => call.name === 'get_weather' && call.result?.includes('Paris'));
    ok = task.status === 'completed' && calledWeather;
    if (!ok) console.error('FAILED: expected a completed task that called get_weather for Paris.');
  } finally {
    await zap.stop();
    await running;
    await demoModel?.close();
    await embedded?.stop();
  }
  console.log(ok ? 'Quickstart OK' : 'Quickstart FAILED');
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
