import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { ZapValidationError } from '../../core/errors';
import { parseJsonOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { WAIT_TIMEOUT_DESCRIPTION, reportStarted } from './wait-command';

interface PipelineStartOptions {
  input?: string;
  id?: string;
  wait?: boolean;
  timeout?: string;
}

/**
 * `zap pipeline start <name> [--input JSON] [--id] [--wait] [--timeout <s>]`. A run is a task:
 * `zap status`, `zap events`, `zap approve`, `zap wait` and `zap cancel` take its id.
 */
export function registerPipelineCommands(program: Command, runtime: CliRuntime): void {
  const pipeline = program.command('pipeline').description('Run pipelines (a run is a task: status, events, approve, wait and cancel take its id)');
  pipeline
    .command('start')
    .description('Start a pipeline run and print its id; with --wait, follow it until it ends')
    .argument('<name>', 'the registered pipeline')
    .option('--input <json>', 'the pipeline\'s JSON input, validated against its input schema')
    .option('--id <runId>', 'your own run id: starting twice with it returns the same run')
    .option('--wait', 'wait for the outcome (exit codes as for `zap wait`)')
    .option('--timeout <seconds>', `with --wait: ${WAIT_TIMEOUT_DESCRIPTION}`)
    .action(async (name: string, options: PipelineStartOptions, command: Command) => {
      const output = runtime.output(command);
      if (options.timeout !== undefined && !options.wait) {
        throw new ZapValidationError({ message: '--timeout applies to --wait only.' });
      }
      const input = options.input !== undefined ? parseJsonOption('--input', options.input) : undefined;
      const { operations, principal } = await runtime.connect(command);
      const started = await operations.startPipeline(principal, {
        pipeline: name,
        ...(input !== undefined ? { input } : {}),
        ...(options.id !== undefined ? { runId: options.id } : {}),
      });
      runtime.exitCode = await reportStarted({
        output,
        operations,
        principal,
        started,
        label: 'Started pipeline run',
        wait: options.wait,
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      });
    });
}
