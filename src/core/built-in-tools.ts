/** Name of the built-in delegation tool, offered to agents that have sub-agents. */
export const MESSAGE_AGENT_TOOL_NAME = 'message_agent';
/** Name of the built-in tool that waits for a named event, offered to agents that declare events. */
export const WAIT_FOR_EVENT_TOOL_NAME = 'wait_for_event';
