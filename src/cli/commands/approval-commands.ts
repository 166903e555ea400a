import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { ZapValidationError } from '../../core/errors';
import { parseJsonOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { formatDecision, formatDecisions } from '../format-task';

interface DecisionOptions {
  by?: string;
  reason?: string;
  budget?: string;
}

interface BatchOptions {
  approve: string[];
  reject: string[];
  by?: string;
}

/** `zap approve|reject <id> <approvalId> [--by] [--reason]`, and `zap decide <id> --approve … --reject …`. */
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
      .option('--budget <json>', 'approving a budget request: the new limits, e.g. \'{"maxUsd":2}\'')
      .action(async (taskId: string, approvalId: string, options: DecisionOptions, command: Command) => {
        const output = runtime.output(command);
        const { operations, principal } = await runtime.connect(command, options.by);
        const result = await operations.decideApproval(principal, {
          taskId,
          approvalId,
          decision,
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
          ...(options.budget !== undefined ? { budget: parseJsonOption('--budget', options.budget) as never } : {}),
        });
        output.result(result, () => formatDecision(result));
      });
  }
  program
    .command('decide')
    .description('Decide several pending approvals of a task at once, all or none (an unknown id refuses the whole batch)')
    .argument('<taskId>', 'the task id')
    .option('--approve <approvalId[:reason]>', 'approve this approval (repeat for more)', collect, [])
    .option('--reject <approvalId[:reason]>', 'reject this approval, the model reads the reason (repeat for more)', collect, [])
    .option('--by <name>', 'who decides (recorded on every decision; default --user)')
    .action(async (taskId: string, options: BatchOptions, command: Command) => {
      const output = runtime.output(command);
      const decisions = batchDecisions(options);
      const { operations, principal } = await runtime.connect(command, options.by);
      const result = await operations.decideApprovals(principal, { taskId, decisions });
      output.result(result, () => formatDecisions(result));
    });
}

/** Commander's accumulator of a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--approve id[:reason]` and `--reject id[:reason]` as decisions by id; an id given twice is refused. */
function batchDecisions(options: BatchOptions): Record<string, { decision: 'approve' | 'reject'; reason?: string }> {
  const decisions: Record<string, { decision: 'approve' | 'reject'; reason?: string }> = {};
  const entries = [
    ...options.approve.map((value) => ['approve', value] as const),
    ...options.reject.map((value) => ['reject', value] as const),
  ];
  if (entries.length === 0) throw new ZapValidationError({ message: 'decide needs at least one --approve <approvalId> or --reject <approvalId>.' });
  for (const [decision, value] of entries) {
    const separator = value.indexOf(':');
    const approvalId = (separator === -1 ? value : value.slice(0, separator)).trim();
    const reason = separator === -1 ? undefined : value.slice(separator + 1).trim();
    if (approvalId === '') throw new ZapValidationError({ message: `--${decision} needs an approval id, not '${value}'.` });
    if (decisions[approvalId]) throw new ZapValidationError({ message: `Approval '${approvalId}' is given twice; decide each approval once.` });
    decisions[approvalId] = { decision, ...(reason ? { reason } : {}) };
  }
  return decisions;
}
