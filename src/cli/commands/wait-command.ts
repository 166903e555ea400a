import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, type TaskStatusView } from '../../operations/operation-schemas';
import type { Principal } from '../../operations/principal';
import type { ZapOperations } from '../../operations/zap-operations';
import { exitCodeOfOutcome } from '../cli-exit-codes';
import type { CliOutput } from '../cli-output';
import type { CliRuntime } from '../cli-runtime';
import { EventPrinter } from '../event-printer';
import { formatStatusLine, formatWaitOutcome } from '../format-task';

/** The `--timeout` option of `wait` and `start --wait`. */
export const WAIT_TIMEOUT_DESCRIPTION = `seconds to wait (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS})`;

/** What {@link waitForOutcome} needs. */
export interface WaitForOutcomeInput {
  output: CliOutput;
  operations: ZapOperations;
  principal: Principal;
  taskId: string;
  /** `--timeout` as given. @default DEFAULT_WAIT_SECONDS */
  timeout?: string;
}

/** What {@link reportStarted} needs: a started task (or run) and the `--wait` / `--timeout` flags. */
export interface ReportStartedInput extends Omit<WaitForOutcomeInput, 'taskId'> {
  started: TaskStatusView;
  /** `Started task`, `Started pipeline run`. */
  label: string;
  wait: boolean | undefined;
}

/**
 * After `start` or `pipeline start`: prints what started (and how to follow it), or with
 * `--wait` follows it to its outcome. Resolves with the exit code.
 */
export async function reportStarted({ started, label, wait, ...waiting }: ReportStartedInput): Promise<number> {
  const { output } = waiting;
  if (!wait) {
    output.result(started, () => `${formatStatusLine(label, started)}\nFollow it: zap wait ${started.taskId}`);
    return 0;
  }
  if (!output.json) output.line(formatStatusLine(label, started));
  return waitForOutcome({ ...waiting, taskId: started.taskId });
}

/**
 * Waits for the task's outcome, printing each event as it happens (human output), then the
 * outcome (the `wait_for_task` result with `--json`). Resolves with the exit code of the outcome.
 */
export async function waitForOutcome({ output, operations, principal, taskId, timeout }: WaitForOutcomeInput): Promise<number> {
  const printer = new EventPrinter(output, { tokens: false });
  const result = await operations.waitForTask(
    principal,
    { taskId, ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}) },
    output.json ? {} : { onEvent: (event) => printer.print(event) },
  );
  printer.finishTokenLine();
  output.result(result, () => formatWaitOutcome(result, timeout !== undefined ? Number(timeout) : DEFAULT_WAIT_SECONDS));
  return exitCodeOfOutcome(result.outcome);
}

/** `zap wait <id> [--timeout <s>]`. */
export function registerWaitCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('wait')
    .description('Wait until the task answers (exit 0), fails (1) or is cancelled (4), or the timeout passes (3); prints events meanwhile')
    .argument('<taskId>', 'the task id')
    .option('--timeout <seconds>', WAIT_TIMEOUT_DESCRIPTION)
    .action(async (taskId: string, options: { timeout?: string }, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      runtime.exitCode = await waitForOutcome({ output, operations, principal, taskId, ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) });
    });
}
