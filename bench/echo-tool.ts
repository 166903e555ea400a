import { z } from 'zod';
import { tool } from 'zap-agents';

/** Arguments of the benchmark's tool. */
export const echoParameters = z.object({ text: z.string() });

/**
 * The benchmark's local tool: cheap and deterministic, so a tool round measures the orchestration
 * around a tool call, not the tool. Both sides run this same definition (the bare activities use
 * its name, JSON Schema and `execute` too), so the model sees identical tool lists.
 */
export const echoTool = tool({
  name: 'echo',
  description: 'Returns the text it is given.',
  parameters: echoParameters,
  execute: ({ text }) => `echo: ${text}`,
});
