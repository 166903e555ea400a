import type { DeclaredEvent } from '../agent/agent-events';
import { WAIT_FOR_EVENT_TOOL_NAME } from '../core/built-in-tools';
import { DEFAULT_EVENT_WAIT_TIMEOUT_MS, MAX_EVENT_WAIT_TIMEOUT_MS } from '../core/defaults';
import { formatDuration } from '../core/format-duration';
import type { FunctionToolDefinition } from '../core/tool-definition';

export { WAIT_FOR_EVENT_TOOL_NAME };

/**
 * The `wait_for_event` tool offered to agents that declare events: each event with its
 * description and the JSON Schema of its data. The wait itself runs in the workflow.
 */
export function waitForEventToolDefinition(events: readonly DeclaredEvent[]): FunctionToolDefinition {
  const roster = events
    .map((event) => `- ${event.name}: ${event.description}\n  data: ${JSON.stringify(event.jsonSchema)}`)
    .join('\n');
  const defaultSeconds = DEFAULT_EVENT_WAIT_TIMEOUT_MS / 1000;
  const maxSeconds = MAX_EVENT_WAIT_TIMEOUT_MS / 1000;
  return {
    name: WAIT_FOR_EVENT_TOOL_NAME,
    description:
      'Wait until a named event arrives from outside (a user action, another system) and get its data as JSON ' +
      '({ event, receivedAt, data }). An event that arrived before you wait is kept, so the call then returns at once. ' +
      `If it does not arrive within the timeout you are told so and may wait again.\nEvents you can wait for:\n${roster}`,
    parameters: {
      type: 'object',
      properties: {
        event: { type: 'string', enum: events.map((event) => event.name), description: 'The event to wait for' },
        timeoutSeconds: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: maxSeconds,
          description: `How long to wait, in seconds (default ${defaultSeconds}: ${formatDuration(DEFAULT_EVENT_WAIT_TIMEOUT_MS)}; at most ${formatDuration(MAX_EVENT_WAIT_TIMEOUT_MS)})`,
        },
      },
      required: ['event'],
      additionalProperties: false,
    },
  };
}
