import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import type { CliRuntime } from '../cli-runtime';
import { formatStatusLine } from '../format-task';

/** `zap cancel <id> [--reason]`. */
export function registerCancelCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('cancel')
    .description('Cancel a task (its running calls and sub-tasks too); cancelling twice is harmless')
    .argument('<taskId>', 'the task id')
    .option('--reason <text>', 'kept on the task')
    .action(async (taskId: string, options: { reason?: string }, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const view = await operations.cancelTask(principal, { taskId, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
      output.result(view, () => formatStatusLine('Cancelling task', view));
    });
}
