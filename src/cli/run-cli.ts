import type { Command as CommandType, CommanderError } from 'commander' with { 'resolution-mode': 'import' };
import { CliErrorCode, CliExitCode, describeCliError, exitCodeOfError } from './cli-exit-codes';
import { CliOutput, type CliIo } from './cli-output';
import { CliRuntime } from './cli-runtime';
import { registerApprovalCommands } from './commands/approval-commands';
import { registerCancelCommand } from './commands/cancel-command';
import { registerEventsCommand } from './commands/events-command';
import { registerListCommand } from './commands/list-command';
import { registerMessageCommands } from './commands/message-commands';
import { registerPipelineCommands } from './commands/pipeline-commands';
import { registerProcessCommands } from './commands/process-commands';
import { registerReadCommands } from './commands/read-commands';
import { registerScheduleCommands } from './commands/schedule-commands';
import { registerServerCommands } from './commands/server-commands';
import { registerStartCommand } from './commands/start-command';
import { registerToolsCommand } from './commands/tools-command';
import { registerWaitCommand } from './commands/wait-command';

const EXIT_CODES_HELP = `
Exit codes:
  0  ok (wait: the task answered)     4  the task was cancelled
  1  the task failed, or an error     5  no such task, approval, agent, event or schedule
  2  bad usage or invalid input       6  permission denied
  3  wait timed out (the task goes on) 7  no worker, or Temporal unreachable

Environment: ZAP_MODULE (the module exporting your Zap), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME.`;

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Where the CLI writes and which environment it reads. @default the process's stdout, stderr and env */
  io?: CliIo;
}

/**
 * The `zap` command: parses `argv` (the arguments after the program name), runs the command
 * through `ZapOperations` and resolves with the exit code (see {@link CliExitCode}); it never
 * calls `process.exit` itself.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['status', 'Support-1f2e', '--json']);
 * ```
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr, environment: process.env };
  const runtime = new CliRuntime(io, argv);
  // Known before parsing, so that even a usage error is reported as JSON.
  const json = argv.includes('--json');
  const output = new CliOutput(io, json);
  try {
    const program = await createProgram(runtime, json);
    await program.parseAsync([...argv], { from: 'user' });
    return runtime.exitCode;
  } catch (error) {
    if (isCommanderError(error)) {
      if (error.exitCode === 0) return CliExitCode.Ok;
      if (json) output.reportError({ code: CliErrorCode.Usage, message: error.message.replace(/^error: /, '') });
      return CliExitCode.BadUsage;
    }
    return exitCodeOfError(output.error(error).code);
  } finally {
    await runtime.close().catch((error: unknown) => {
      io.stderr.write(`zap: closing the Temporal connection failed: ${describeCliError(error).message}\n`);
    });
  }
}

async function createProgram(runtime: CliRuntime, json: boolean): Promise<CommandType> {
  // commander is an ES module; this package is CommonJS.
  const { Command } = await import('commander');
  const program = new Command('zap');
  program
    .description('Run and inspect zap-agents tasks from the command line. Every command takes --json.')
    .option('--module <path>', 'the module exporting your Zap (default $ZAP_MODULE)')
    .option('--tenant <id>', 'act as this tenant: see and start only its tasks (default: every tenant)')
    .option('--user <id>', 'act as this user: recorded on tasks you start and decisions you make')
    .option('--json', 'print one JSON document (events: one JSON object per line); errors as JSON on stderr')
    .showHelpAfterError(json ? false : '(zap --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => runtime.io.stdout.write(text),
      writeErr: (text) => runtime.io.stderr.write(text),
      // With --json the error is reported once, as JSON, by runCli.
      outputError: (text, write) => {
        if (!json) write(text);
      },
    })
    .addHelpText('after', EXIT_CODES_HELP);
  registerStartCommand(program, runtime);
  registerPipelineCommands(program, runtime);
  registerReadCommands(program, runtime);
  registerEventsCommand(program, runtime);
  registerMessageCommands(program, runtime);
  registerApprovalCommands(program, runtime);
  registerWaitCommand(program, runtime);
  registerCancelCommand(program, runtime);
  registerListCommand(program, runtime);
  registerScheduleCommands(program, runtime);
  registerToolsCommand(program, runtime);
  registerProcessCommands(program, runtime);
  registerServerCommands(program, runtime);
  return program;
}

function isCommanderError(error: unknown): error is CommanderError {
  return error instanceof Error && typeof (error as CommanderError).exitCode === 'number' && String((error as CommanderError).code).startsWith('commander.');
}
