import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { parseListOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { formatTaskList } from '../format-task';

interface ListOptions {
  status?: string;
  agent?: string;
  parent?: string;
  pageSize?: string;
  pageToken?: string;
}

/** `zap list [--status s1,s2] [--agent] [--parent] [--page-size] [--page-token]`. */
export function registerListCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('list')
    .description('List tasks, newest first (with --tenant: that tenant\'s only)')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. awaiting_approval,failed)')
    .option('--agent <name>', 'only tasks of this agent')
    .option('--parent <taskId>', 'only sub-tasks of this task')
    .option('--page-size <n>', 'tasks in one page (default 100)')
    .option('--page-token <token>', 'the next-page token printed by the previous page')
    .action(async (options: ListOptions, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const page = await operations.listTasks(principal, {
        ...(options.status !== undefined ? { status: parseListOption(options.status) as never } : {}),
        ...(options.agent !== undefined ? { agent: options.agent } : {}),
        ...(options.parent !== undefined ? { parentTaskId: options.parent } : {}),
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        ...(options.pageToken !== undefined ? { pageToken: options.pageToken } : {}),
      });
      output.result(page, () => formatTaskList(page));
    });
}
