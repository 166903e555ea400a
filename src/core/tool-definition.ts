/**
 * A tool as the model sees it: the `function` of an OpenAI chat-completions tool.
 * `parameters` is a JSON Schema object.
 */
export interface FunctionToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  /**
   * zap-agents metadata, not sent to the model: running the call twice has the same effect as
   * once, so it may be retried after a failure whose outcome is unknown.
   */
  idempotent?: boolean;
  /** zap-agents metadata, not sent to the model: a local tool whose calls run as local activities. */
  localActivity?: boolean;
}

/** What a tool call produced: text for the model, and whether it is an error. */
export interface ToolCallOutcome {
  content: string;
  isError: boolean;
}
