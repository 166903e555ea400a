/**
 * Quickstart: one agent task end to end on Temporal, with a tool from an MCP server.
 *
 *   npm run demo
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS (default localhost:7233), or starts an embedded
 * dev server when none answers. Uses OPENAI_BASE_URL / OPENAI_API_KEY when set (OpenAI, a
 * LiteLLM proxy, …), else a scripted demo model on 127.0.0.1. Exits non-zero unless the task
 * called its MCP tool and completed.
 */
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';
import { demoWeatherModel } from './demo-model';
import { createQuickstartZap } from './zap';

runExample('Quickstart', async () => {
  const environment = await prepareExampleEnvironment(demoWeatherModel, { localModel: true });
  // Built after the environment is settled: the Zap reads TEMPORAL_ADDRESS at construction.
  const zap = createQuickstartZap();
  const taskStarted = Date.now();
  await zap.start();
  const worker = await zap.createWorker();
  const running = worker.run();
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
    console.log(`Status: ${task.status} (${((Date.now() - taskStarted) / 1000).toFixed(1)} s)`);
    console.log(`Answer: ${task.result ?? task.error}`);
    const calledWeather = task.getToolCalls().some((call) => call.name === 'get_weather' && call.result?.includes('Paris'));
    return task.status === 'completed' && calledWeather;
  } finally {
    await zap.stop();
    await running;
    await environment.close();
  }
});
