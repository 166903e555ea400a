import { MESSAGE_AGENT_TOOL_NAME } from '../core/built-in-tools';
import type { FunctionToolDefinition } from '../core/tool-definition';

export { MESSAGE_AGENT_TOOL_NAME };

/** A sub-agent as a parent sees it. */
export interface SubAgentDescription {
  name: string;
  description: string;
}

/** The `message_agent` tool offered to agents that have sub-agents. */
export function messageAgentToolDefinition(subAgents: readonly SubAgentDescription[]): FunctionToolDefinition {
  const roster = subAgents.map((agent) => `- ${agent.name}: ${agent.description}`).join('\n');
  return {
    name: MESSAGE_AGENT_TOOL_NAME,
    description:
      'Send a message to another agent and get its answer. Start a new conversation by omitting ' +
      'conversation_id; continue one by passing the conversation_id a previous answer returned.\n' +
      `Agents you can message:\n${roster}`,
    parameters: {
      type: 'object',
      properties: {
        agent_name: { type: 'string', enum: subAgents.map((agent) => agent.name), description: 'Agent to message' },
        message: { type: 'string', description: 'What you ask the agent' },
        conversation_id: { type: 'string', description: 'Continue this earlier conversation with the agent' },
      },
      required: ['agent_name', 'message'],
      additionalProperties: false,
    },
  };
}
