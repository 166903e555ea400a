import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import type { CliRuntime } from '../cli-runtime';
import { formatHistory, formatStatus, formatUsage } from '../format-task';

/** `zap status <id>`, `zap history <id>`, `zap usage <id>`. */
export function registerReadCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('status')
    .description('Show a task: status, what it waits for (approvals, events, sub-tasks), result or error, usage')
    .argument('<taskId>', 'the task id')
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const view = await operations.getStatus(principal, { taskId });
      output.result(view, () => formatStatus(view));
    });

  program
    .command('history')
    .description('Show a page of the conversation, system prompt first')
    .argument('<taskId>', 'the task id')
    .option('--offset <n>', 'index of the first message (0: the system prompt)')
    .option('--limit <n>', 'messages in the page')
    .action(async (taskId: string, options: { offset?: string; limit?: string }, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const page = await operations.getHistory(principal, {
        taskId,
        ...(options.offset !== undefined ? { offset: options.offset } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      });
      output.result(page, () => formatHistory(page));
    });

  program
    .command('usage')
    .description('Show the tokens a task\'s model calls used, and its sub-tasks')
    .argument('<taskId>', 'the task id')
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const usage = await operations.getUsage(principal, { taskId });
      output.result(usage, () => formatUsage(usage));
    });
}
