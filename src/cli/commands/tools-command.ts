import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { operationToolDefinitions, type ToolDefinitionFormat } from '../../operations/tool-definitions';
import type { CliRuntime } from '../cli-runtime';

/** The dialects `zap tools --format` writes. */
const TOOL_DEFINITION_FORMATS: readonly ToolDefinitionFormat[] = ['openai', 'anthropic', 'mcp'];

/** `zap tools --format openai|anthropic|mcp`: needs no module and no server. */
export function registerToolsCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('tools')
    .description('Print the operations as tool definitions for an agent (OpenAI, Anthropic or MCP tools/list format)')
    .addOption(program.createOption('--format <format>', 'tool definition dialect').choices(TOOL_DEFINITION_FORMATS).default('openai'))
    .action((options: { format: ToolDefinitionFormat }, command: Command) => {
      const output = runtime.output(command);
      const tools = operationToolDefinitions(options.format);
      output.result(tools, () => JSON.stringify(tools, null, 2));
    });
}
