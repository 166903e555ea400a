import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { ZapValidationError } from '../../core/errors';
import type { CliRuntime } from '../cli-runtime';

/** `zap worker [module]` and `zap dev [start|stop|status|path|foreground] [-- start-dev flags]`. */
export function registerProcessCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('worker')
    .description('Run a worker for your Zap until SIGINT/SIGTERM, then drain (same as zap-worker)')
    .argument('[module]', 'the module exporting your Zap (default --module or ZAP_MODULE)')
    .action(async (modulePath: string | undefined, _options: unknown, command: Command) => {
      const path = modulePath ?? runtime.globals(command).module ?? runtime.io.environment.ZAP_MODULE;
      if (!path) throw new ZapValidationError({ message: 'zap worker needs the module exporting your Zap (or --module, or ZAP_MODULE).' });
      const { runWorkerProcess } = await import('../../worker/run-worker-process.js');
      await runWorkerProcess({ modulePath: path, environment: runtime.io.environment });
    });

  program
    .command('dev')
    .description('A Temporal dev server for the app in this folder (same as zap-dev; `zap dev --help` for its commands)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[arguments...]', 'start (default), stop, status, path, foreground, --help; after --, flags for temporal server start-dev')
    .action(async () => {
      // zap-dev parses its own command line, `--` included, so it gets what followed `dev` as typed.
      const devArguments = runtime.argv.slice(runtime.argv.indexOf('dev') + 1);
      // Loaded here: the dev server's code is not needed by the other commands.
      const { runDevServerCli } = await import('../../testing/dev-server/dev-server-cli.js');
      runtime.exitCode = await runDevServerCli(devArguments, { ZAP_DEV_COMMAND: 'zap dev', ...runtime.io.environment });
    });
}
