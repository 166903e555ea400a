import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { parseJsonOption } from '../cli-arguments';
import type { CliRuntime } from '../cli-runtime';
import { formatSchedule, formatScheduleDeleted, formatScheduleList } from '../format-schedule';

interface ScheduleCreateOptions {
  every?: string;
  cron?: string;
  timezone?: string;
  overlap?: string;
  budget?: string;
  context?: string;
  paused?: boolean;
  note?: string;
}

/**
 * `zap schedule create|list|describe|pause|unpause|trigger|delete`: agent tasks on a timetable
 * (Temporal Schedules), through `ZapOperations` like every other command. Each run is a task:
 * `zap status`, `zap wait` and `zap approve` take its id (in `zap schedule describe`).
 */
export function registerScheduleCommands(program: Command, runtime: CliRuntime): void {
  const schedule = program.command('schedule').description('Run agent tasks on a timetable (each run is a task: status, wait and approve take its id)');

  schedule
    .command('create')
    .description('Create a schedule: a task of <agent> with <text>, every <duration> or on a cron expression')
    .argument('<id>', 'the schedule id (letters, digits, . _ -); each run is the task <id>-<time it was due>')
    .argument('<agent>', 'the agent of every run')
    .argument('<text>', 'the request of every run')
    .option('--every <duration>', "a fixed interval, e.g. '15 minutes' (give --every or --cron)")
    .option('--cron <expression>', "a cron expression, e.g. '0 9 * * MON-FRI' (give --every or --cron)")
    .option('--timezone <zone>', 'IANA time zone of --cron (default UTC)')
    .option('--overlap <policy>', 'a run due while one is open: skip (default), bufferOne, bufferAll, cancelOther, terminateOther, allowAll')
    .option('--budget <json>', 'hard caps on each run\'s spend, e.g. \'{"maxUsd":0.5}\'')
    .option('--context <json>', 'JSON context of every run')
    .option('--paused', 'create it paused (`zap schedule unpause` starts it)')
    .option('--note <text>', 'a note kept with the schedule')
    .action(async (id: string, agent: string, text: string, options: ScheduleCreateOptions, command: Command) => {
      const output = runtime.output(command);
      const budget = options.budget !== undefined ? parseJsonOption('--budget', options.budget) : undefined;
      const context = options.context !== undefined ? parseJsonOption('--context', options.context) : undefined;
      const { operations, principal } = await runtime.connect(command);
      const created = await operations.createSchedule(principal, {
        scheduleId: id,
        agent,
        message: text,
        ...(options.every !== undefined ? { every: options.every } : {}),
        ...(options.cron !== undefined ? { cron: options.cron } : {}),
        ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
        ...(options.overlap !== undefined ? { overlap: options.overlap as never } : {}),
        ...(budget !== undefined ? { budget: budget as never } : {}),
        ...(context !== undefined ? { context } : {}),
        ...(options.paused ? { paused: true } : {}),
        ...(options.note !== undefined ? { note: options.note } : {}),
      });
      output.result(created, () => formatSchedule(created));
    });

  schedule
    .command('list')
    .description('List the schedules, by id (with --tenant: that tenant\'s only)')
    .option('--agent <name>', 'only schedules of this agent')
    .action(async (options: { agent?: string }, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const list = await operations.listSchedules(principal, { ...(options.agent !== undefined ? { agent: options.agent } : {}) });
      output.result(list, () => formatScheduleList(list));
    });

  schedule
    .command('describe')
    .description('Show a schedule: its timetable, task, budget, next runs and latest runs with their task ids and status')
    .argument('<id>', 'the schedule id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const view = await operations.describeSchedule(principal, { scheduleId: id });
      output.result(view, () => formatSchedule(view));
    });

  for (const action of ['pause', 'unpause'] as const) {
    schedule
      .command(action)
      .description(action === 'pause' ? 'Pause a schedule: no run starts until unpause (runs in progress go on)' : 'Resume a paused schedule from its next due time')
      .argument('<id>', 'the schedule id')
      .option('--note <text>', action === 'pause' ? 'why (kept with the schedule)' : 'a note (kept with the schedule)')
      .action(async (id: string, options: { note?: string }, command: Command) => {
        const output = runtime.output(command);
        const { operations, principal } = await runtime.connect(command);
        const input = { scheduleId: id, ...(options.note !== undefined ? { note: options.note } : {}) };
        const view = action === 'pause' ? await operations.pauseSchedule(principal, input) : await operations.unpauseSchedule(principal, input);
        output.result(view, () => formatSchedule(view));
      });
  }

  schedule
    .command('trigger')
    .description('Start a run now, also while paused; its task id shows in `zap schedule describe` a moment later')
    .argument('<id>', 'the schedule id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const view = await operations.triggerSchedule(principal, { scheduleId: id });
      output.result(view, () => `Triggered schedule ${id}: its run shows in \`zap schedule describe ${id}\` in a moment.`);
    });

  schedule
    .command('delete')
    .description('Delete a schedule (runs in progress go on)')
    .argument('<id>', 'the schedule id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const output = runtime.output(command);
      const { operations, principal } = await runtime.connect(command);
      const result = await operations.deleteSchedule(principal, { scheduleId: id });
      output.result(result, () => formatScheduleDeleted(result));
    });
}
