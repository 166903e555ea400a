import { formatDuration } from '../core/format-duration';
import type { DeleteScheduleResult, ScheduleList, ScheduleView } from '../operations/operation-schemas';
import { formatRows, shorten } from './format-task';

/** Next run times shown by `zap schedule describe` (`--json` has them all). */
const SHOWN_NEXT_RUNS = 3;

/** The aligned summary `zap schedule create|describe|pause|unpause|trigger` prints. */
export function formatSchedule(view: ScheduleView): string {
  const budget = view.budget;
  const limits = budget
    ? [
        budget.maxUsd !== undefined ? `maxUsd ${budget.maxUsd}` : undefined,
        budget.maxTokens !== undefined ? `maxTokens ${budget.maxTokens}` : undefined,
        budget.maxModelCalls !== undefined ? `maxModelCalls ${budget.maxModelCalls}` : undefined,
        budget.maxToolCalls !== undefined ? `maxToolCalls ${budget.maxToolCalls}` : undefined,
      ].filter((limit) => limit !== undefined)
    : [];
  const rows: Array<readonly [string, string | undefined]> = [
    ['Schedule', view.scheduleId],
    ['Agent', view.agent],
    ['State', view.paused ? 'paused' : 'active'],
    ['Note', view.note],
    ['Tenant', view.tenantId],
    ['User', view.userId],
    ['Runs', `${formatTiming(view)}, overlap ${view.overlap}`],
    ['Task', shorten(typeof view.message === 'string' ? view.message : JSON.stringify(view.message))],
    ['Budget', budget ? `${limits.join(', ') || 'no limits'} (on exceeded: ${budget.onExceeded}) per run` : undefined],
    ['Next runs', view.nextRunTimes.length > 0 ? view.nextRunTimes.slice(0, SHOWN_NEXT_RUNS).join(', ') : 'none'],
    ...view.recentRuns.map((run) => ['Run', `${run.taskId}  ${run.status ?? 'unknown'}  (due ${run.scheduledAt})`] as const),
    ['Run count', `${view.runCount} (skipped ${view.skippedRunCount}, missed ${view.missedRunCount})`],
    ['Created', view.createdAt],
    ['Updated', view.updatedAt],
  ];
  return formatRows(rows);
}

/** The schedules as a table (`zap schedule list`). */
export function formatScheduleList(list: ScheduleList): string {
  if (list.schedules.length === 0) return 'No schedules.';
  const header = ['SCHEDULE', 'AGENT', 'STATE', 'NEXT RUN', 'LAST RUN'];
  const rows = list.schedules.map((schedule) => [
    schedule.scheduleId,
    schedule.agent,
    schedule.paused ? 'paused' : 'active',
    schedule.nextRunTimes[0] ?? '',
    schedule.recentRuns.at(-1)?.taskId ?? '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** What `zap schedule delete` prints. */
export function formatScheduleDeleted(result: DeleteScheduleResult): string {
  return `Deleted schedule ${result.scheduleId}: no run starts any more (runs in progress go on).`;
}

function formatTiming(view: ScheduleView): string {
  if (view.cron !== undefined) return `cron '${view.cron}' (${view.timezone})`;
  return `every ${formatDuration(view.everyMs ?? 0)}`;
}
