/**
 * The quickstart's Zap: one agent with one MCP tool server. Both the client (`main.ts`) and a
 * worker process (`npx zap-worker examples/quickstart/zap.ts`) load this module.
 */
import { join } from 'node:path';
import { Zap, ZapAgent } from 'zap-agents';

export const weatherAgent = new ZapAgent({
  name: 'WeatherAssistant',
  prompt: 'You answer questions about the weather. Always call get_weather; never guess.',
  model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
  mcpClients: [
    {
      name: 'weather',
      command: process.execPath,
      args: ['--import', 'tsx', join(__dirname, 'weather-server.ts')],
      cwd: __dirname,
    },
  ],
  maxIterations: 5,
});

/** Reads TEMPORAL_ADDRESS and OPENAI_BASE_URL / OPENAI_API_KEY from the environment. */
export function createQuickstartZap(): Zap {
  return new Zap({ agents: [weatherAgent], taskQueue: process.env.ZAP_TASK_QUEUE ?? 'zap-quickstart' });
}

export const zap = createQuickstartZap();
