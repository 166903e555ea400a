/**
 * A tool as the model sees it: the `function` of an OpenAI chat-completions tool.
 * `parameters` is a JSON Schema object.
 */
export interface FunctionToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** What a tool call produced: text for the model, and whether it is an error. */
export interface ToolCallOutcome {
  content: string;
  isError: boolean;
}
