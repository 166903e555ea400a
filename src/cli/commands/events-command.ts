import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import type { CliRuntime } from '../cli-runtime';
import { EventPrinter } from '../event-printer';

interface EventsOptions {
  follow?: boolean;
  since?: string;
  tokens?: boolean;
}

/** `zap events <id> [--follow] [--since N] [--tokens]`. */
export function registerEventsCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('events')
    .description(
      'Stream a task\'s events, one line each (with --json one JSON object per line), until the current request ends; ' +
        'resume with --since <last seq seen>',
    )
    .argument('<taskId>', 'the task id')
    .option('--follow', 'keep streaming across follow-ups until the task closes')
    .option('--since <seq>', 'only events with a greater sequence number (default 0: from the start)')
    .option('--tokens', 'also stream the model\'s tokens (inline on a terminal; as token events with --json)')
    .action(async (taskId: string, options: EventsOptions, command: Command) => {
      const output = runtime.output(command);
      // Tokens are shown inline on a terminal only; piped human output stays one line per event.
      const tokens = options.tokens === true && (output.json || output.interactive);
      const { operations, principal } = await runtime.connect(command);
      const printer = new EventPrinter(output, { tokens });
      const stream = operations.streamEvents(principal, {
        taskId,
        follow: options.follow === true,
        includeTokens: tokens,
        ...(options.since !== undefined ? { since: options.since } : {}),
      });
      for await (const event of stream) printer.print(event);
      printer.finishTokenLine();
    });
}
