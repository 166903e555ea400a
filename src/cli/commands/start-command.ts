import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { ZapValidationError } from '../../core/errors';
import { parseJsonOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { WAIT_TIMEOUT_DESCRIPTION, reportStarted } from './wait-command';

interface StartOptions {
  id?: string;
  context?: string;
  wait?: boolean;
  timeout?: string;
  budget?: string;
}

/** `zap start <agent> <text> [--id] [--context JSON] [--budget JSON] [--wait] [--timeout <s>]`. */
export function registerStartCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('start')
    .description('Start a task and print its id; with --wait, follow it until it answers')
    .argument('<agent>', 'the agent that works on the task')
    .argument('<text>', 'the request')
    .option('--id <taskId>', 'your own task id: starting twice with it returns the same task')
    .option('--context <json>', 'JSON context for the agent\'s prompt and tools')
    .option('--budget <json>', 'hard caps on the task\'s spend, e.g. \'{"maxUsd":0.5,"onExceeded":"ask"}\'')
    .option('--wait', 'wait for the outcome (exit codes as for `zap wait`)')
    .option('--timeout <seconds>', `with --wait: ${WAIT_TIMEOUT_DESCRIPTION}`)
    .action(async (agent: string, text: string, options: StartOptions, command: Command) => {
      const output = runtime.output(command);
      if (options.timeout !== undefined && !options.wait) {
        throw new ZapValidationError({ message: '--timeout applies to --wait only.' });
      }
      const context = options.context !== undefined ? parseJsonOption('--context', options.context) : undefined;
      const budget = options.budget !== undefined ? parseJsonOption('--budget', options.budget) : undefined;
      const { operations, principal } = await runtime.connect(command);
      const started = await operations.startTask(principal, {
        agent,
        message: text,
        ...(options.id !== undefined ? { taskId: options.id } : {}),
        ...(context !== undefined ? { context } : {}),
        ...(budget !== undefined ? { budget: budget as never } : {}),
      });
      runtime.exitCode = await reportStarted({
        output,
        operations,
        principal,
        started,
        label: 'Started task',
        wait: options.wait,
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      });
    });
}
