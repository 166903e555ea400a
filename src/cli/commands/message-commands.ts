import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { parseJsonOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { formatDelivery, formatStatusLine } from '../format-task';

/** `zap send <id> <text>` and `zap event <id> <name> [--data JSON]`. */
export function registerMessageCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('send')
    .description('Send a follow-up message (a completed task works on it; a failed task is taken up again)')
    .argument('<taskId>', 'the task id')
    .argument('<text>', 'the message')
    .action(async (taskId: string, text: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const view = await operations.sendMessage(principal, { taskId, message: text });
      output.result(view, () => formatStatusLine('Sent to task', view));
    });

  program
    .command('event')
    .description('Deliver a named event the task\'s agent declares (kept until the agent waits for it)')
    .argument('<taskId>', 'the task id')
    .argument('<name>', 'the event name')
    .option('--data <json>', 'the event\'s data as JSON, checked against the event\'s schema')
    .action(async (taskId: string, name: string, options: { data?: string }, command: Command) => {
      const output = runtime.output(command);
      const data = options.data !== undefined ? parseJsonOption('--data', options.data) : undefined;
      const { operations, principal } = await runtime.connect(command);
      const result = await operations.deliverEvent(principal, { taskId, name, ...(data !== undefined ? { data } : {}) });
      output.result(result, () => formatDelivery(result));
    });
}
