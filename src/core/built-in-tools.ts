/** Name of the built-in delegation tool, offered to agents that have sub-agents. */
export const MESSAGE_AGENT_TOOL_NAME = 'message_agent';
