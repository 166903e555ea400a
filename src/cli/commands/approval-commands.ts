import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import type { CliRuntime } from '../cli-runtime';
import { formatDecision } from '../format-task';

interface DecisionOptions {
  by?: string;
  reason?: string;
}

/** `zap approve|reject <id> <approvalId> [--by] [--reason]`. */
export function registerApprovalCommands(program: Command, runtime: CliRuntime): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(
        decision === 'approve'
          ? 'Approve a pending tool call (ids in `zap status`); deciding twice is harmless'
          : 'Reject a pending tool call; the model reads the reason',
      )
      .argument('<taskId>', 'the task id')
      .argument('<approvalId>', 'the pending approval\'s id')
      .option('--by <name>', 'who decides (recorded on the decision; default --user)')
      .option('--reason <text>', decision === 'approve' ? 'why (recorded)' : 'why (the model reads it)')
      .action(async (taskId: string, approvalId: string, options: DecisionOptions, command: Command) => {
        const output = runtime.output(command);
        const { operations, principal } = await runtime.connect(command, options.by);
        const result = await operations.decideApproval(principal, {
          taskId,
          approvalId,
          decision,
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
        });
        output.result(result, () => formatDecision(result));
      });
  }
}
