import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { ApprovalRules } from '../../core/approval-rules';
import type { TaskBudget } from '../../core/budget';
import {
  DEFAULT_SCHEDULE_CATCHUP_WINDOW,
  DEFAULT_SCHEDULE_JITTER_MS,
  DEFAULT_SCHEDULE_OVERLAP,
  DEFAULT_SCHEDULE_TIMEZONE,
  MAX_SCHEDULE_ID_LENGTH,
  MAX_SCHEDULE_NOTE_LENGTH,
  MIN_SCHEDULE_CATCHUP_WINDOW_MS,
  MIN_SCHEDULE_INTERVAL_MS,
} from '../../core/defaults';
import { ZapValidationError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import type { MessageContent } from '../../core/messages';
import type { TaskStatus } from '../../core/task-status';

/**
 * What a schedule does when a run is due while an earlier run is still open (Temporal's overlap
 * policies): `skip` the new run; `bufferOne` start it when the open one closes (one buffered at
 * most); `bufferAll` start every missed run in turn; `cancelOther` cancel the open run, then
 * start; `terminateOther` terminate it and start; `allowAll` run them side by side.
 */
export type ScheduleOverlap = 'skip' | 'bufferOne' | 'bufferAll' | 'cancelOther' | 'terminateOther' | 'allowAll';

/** Every {@link ScheduleOverlap}, in the order of the documentation. */
export const SCHEDULE_OVERLAP_POLICIES: readonly ScheduleOverlap[] = ['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'terminateOther', 'allowAll'];

/** When a schedule runs. Give `cron` or `every`. */
export interface ScheduleTimingOptions {
  /**
   * A cron expression in `timezone`: 5 fields (`minute hour day-of-month month day-of-week`, e.g.
   * `'0 9 * * MON-FRI'`), 6 (with a year) or 7 (with seconds first), or `@daily`, `@hourly`, ….
   * Temporal's cron syntax; it is checked before the schedule is created.
   * @default undefined (give `every` instead)
   */
  cron?: string;
  /**
   * A fixed interval (`'15 minutes'`, `'2 seconds'`, milliseconds), counted from the Unix epoch, at
   * least 1 second.
   * @default undefined (give `cron` instead)
   */
  every?: Duration;
  /**
   * IANA time zone of `cron` (`'Europe/Paris'`); daylight saving time is followed.
   * @default 'UTC'
   */
  timezone?: string;
  /**
   * What a run due while an earlier run is open does (see {@link ScheduleOverlap}). A run is open
   * until its task closes: scheduled runs close right after answering unless `idleTimeout` says otherwise.
   * @default 'skip'
   */
  overlap?: ScheduleOverlap;
  /**
   * How late a run may still start after the Temporal server was unavailable at its time (at
   * least 10 seconds); later ones are dropped.
   * @default '1 hour'
   */
  catchupWindow?: Duration;
  /**
   * Each run starts at a random moment up to this long after its time (spreads load).
   * @default 0
   */
  jitter?: Duration;
}

/** What each run of a schedule does: an ordinary agent task, validated as `executeTask` does. */
export interface ScheduleTaskOptions<TContext = unknown> {
  /** The task text of every run. `task` or `taskContent` is required when the schedule is created. */
  task?: string;
  /** The task as content parts (text and images); wins over `task`. */
  taskContent?: MessageContent;
  /** JSON context of every run (prompts that are functions of it are resolved when the schedule is created or updated). */
  context?: TContext;
  /** Tool calls of every run that need a human decision, on top of the agent's own rules. @default undefined */
  approvalRules?: ApprovalRules;
  /**
   * How long a run stays open for follow-ups after its answer (0: it closes at once). A run that
   * stays open counts as running for `overlap`, and an agent's `nudge` fires only within it.
   * @default 0
   */
  idleTimeout?: Duration;
  /**
   * Hard caps on what each run may spend (with its sub-agents), compiled and merged with the
   * agent's default `budget` as `executeTask` does: each limit given replaces the agent's. Every run
   * is a task and gets the whole budget. A USD budget for a model without a known price is refused
   * when the schedule is created or updated (`ModelPriceUnknownError`). In `update`, `budget:
   * undefined` removes the schedule's own budget (the agent's default stays).
   * @default the agent's `budget` (none unless set)
   */
  budget?: TaskBudget;
}

/** Options of `zap.schedules.create`. */
export interface CreateScheduleOptions<TContext = unknown> extends ScheduleTimingOptions, ScheduleTaskOptions<TContext> {
  /**
   * The schedule's id (1–160 characters of `[A-Za-z0-9._-]`, starting with a letter or digit).
   * Each run is a task whose id is this id, a dash and the run's time: `daily-report-2025-06-02T09:00:00Z`.
   */
  id: string;
  /** The agent of every run. */
  agentName: string;
  /** The tenant the schedule and its runs belong to (see `TaskScope`); fixed for the schedule's life. @default undefined */
  tenantId?: string;
  /** The user the schedule and its runs belong to; fixed for the schedule's life. @default undefined */
  userId?: string;
  /** Create the schedule paused (`unpause` starts it). @default false */
  paused?: boolean;
  /** A note kept with the schedule's state (why it exists, why it is paused). @default undefined */
  note?: string;
}

/**
 * Changes of `zap.schedules.update`: the fields given replace the schedule's, the others stay.
 * `cron` replaces an `every` and the other way round. The agent and the owner of a schedule do not
 * change (delete it and create another). Every update also takes the agent's current settings
 * (prompt, limits), so `update(id, {})` refreshes a schedule after a deploy.
 */
export interface UpdateScheduleOptions<TContext = unknown> extends ScheduleTimingOptions, ScheduleTaskOptions<TContext> {
  /** A new note. @default the current note */
  note?: string;
}

/** A run a schedule started: an ordinary task. */
export interface ScheduleRunSummary {
  /** The run's task id: the schedule id, a dash and the time it was due (`<id>-2025-06-02T09:00:00Z`). */
  taskId: string;
  /** ISO-8601; the time the run was due (jitter included). */
  scheduledAt: string;
  /** ISO-8601; when the schedule started it. */
  startedAt: string;
}

/** A run with its task's status. */
export interface ScheduleRun extends ScheduleRunSummary {
  /** The task's status (from its `ZapStatus` search attribute, its workflow or a query); absent when no one could tell. */
  status?: TaskStatus;
}

/** A schedule as `zap.schedules.list` returns it (one visibility read for all). */
export interface ScheduleSummary {
  id: string;
  agentName: string;
  tenantId?: string;
  userId?: string;
  paused: boolean;
  note?: string;
  /** ISO-8601; the next times runs are due. */
  nextRunTimes: string[];
  /** The latest runs (at most 10, Temporal keeps no more here), oldest first, without their status. */
  recentRuns: ScheduleRunSummary[];
}

/** A schedule as `zap.schedules.describe` returns it: plain JSON. */
export interface ScheduleDescription extends ScheduleSummary {
  /** The task of every run. */
  task: MessageContent;
  /** The context of every run. */
  context?: JsonValue;
  /** The cron expression, for a cron schedule. */
  cron?: string;
  /** The interval in milliseconds, for an `every` schedule. */
  everyMs?: number;
  timezone: string;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  jitterMs: number;
  /** How long each run stays open after its answer, in milliseconds. */
  idleTimeoutMs: number;
  /** The budget each run starts with: the agent's default with the schedule's own over it; absent when neither has one. */
  budget?: TaskBudget;
  /** The latest runs with their task's status, oldest first. */
  recentRuns: ScheduleRun[];
  /** Task ids of the runs that are open now. */
  runningTaskIds: string[];
  /** Runs started so far (triggers included). */
  runCount: number;
  /** Runs not started because an earlier one was open (`overlap`). */
  skippedRunCount: number;
  /** Runs dropped because they could not start within `catchupWindow`. */
  missedRunCount: number;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601; the last update, when there was one. */
  updatedAt?: string;
}

/** Options of `zap.schedules.list`. */
export interface ListSchedulesOptions {
  /** Only schedules of this agent. @default undefined (any) */
  agentName?: string;
  /** Only schedules of this tenant. @default undefined (any) */
  tenantId?: string;
  /** Only schedules of this user. @default undefined (any) */
  userId?: string;
}

/** Options of `zap.schedules.trigger`. */
export interface TriggerScheduleOptions {
  /**
   * The overlap policy of this one run: by default it starts even when a run is open.
   * @default 'allowAll'
   */
  overlap?: ScheduleOverlap;
}

/** When a schedule runs, validated: what its Temporal spec and policies are made of. */
export interface ScheduleTiming {
  cron?: string;
  everyMs?: number;
  timezone: string;
  jitterMs: number;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
}

const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CRON_SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const CRON_FIELD = /^[A-Za-z0-9*?,/#-]+$/;

/** `ZapValidationError` unless `id` is a valid schedule id. */
export function validateScheduleId(id: unknown): string {
  if (typeof id !== 'string' || id.length > MAX_SCHEDULE_ID_LENGTH || !SCHEDULE_ID.test(id)) {
    throw new ZapValidationError({
      message: `A schedule id must be 1–${MAX_SCHEDULE_ID_LENGTH} characters of [A-Za-z0-9._-] starting with a letter or digit; got ${JSON.stringify(id)}.`,
    });
  }
  return id;
}

/** `ZapValidationError` unless `note` is undefined or a string of at most 1000 characters. */
export function validateScheduleNote(note: unknown): string | undefined {
  if (note === undefined) return undefined;
  if (typeof note !== 'string' || note.length > MAX_SCHEDULE_NOTE_LENGTH) {
    throw new ZapValidationError({ message: `A schedule note must be a string of at most ${MAX_SCHEDULE_NOTE_LENGTH} characters.` });
  }
  return note;
}

/**
 * A schedule's timing from its options, over `base` (the current timing, for an update): `cron` or
 * `every` (exactly one in the result), a time zone the runtime knows, durations in range.
 * `ZapValidationError` for anything else, before anything is sent to Temporal.
 */
export function compileScheduleTiming(options: ScheduleTimingOptions, base?: ScheduleTiming): ScheduleTiming {
  if (options.cron !== undefined && options.every !== undefined) {
    throw new ZapValidationError({ message: 'A schedule takes `cron` or `every`, not both.' });
  }
  let cron = base?.cron;
  let everyMs = base?.everyMs;
  if (options.cron !== undefined) {
    cron = validateCron(options.cron);
    everyMs = undefined;
  } else if (options.every !== undefined) {
    everyMs = readDuration(options.every, 'every');
    if (everyMs < MIN_SCHEDULE_INTERVAL_MS) {
      throw new ZapValidationError({ message: `every must be at least 1 second (Temporal counts intervals in seconds); got ${JSON.stringify(options.every)}.` });
    }
    cron = undefined;
  }
  if (cron === undefined && everyMs === undefined) {
    throw new ZapValidationError({ message: "A schedule needs `cron` (e.g. '0 9 * * MON-FRI') or `every` (e.g. '15 minutes')." });
  }
  const timezone = options.timezone === undefined ? (base?.timezone ?? DEFAULT_SCHEDULE_TIMEZONE) : validateTimezone(options.timezone);
  const overlap = options.overlap === undefined ? (base?.overlap ?? DEFAULT_SCHEDULE_OVERLAP) : validateOverlap(options.overlap);
  const catchupWindowMs =
    options.catchupWindow === undefined ? (base?.catchupWindowMs ?? msToNumber(DEFAULT_SCHEDULE_CATCHUP_WINDOW)) : readDuration(options.catchupWindow, 'catchupWindow');
  if (catchupWindowMs < MIN_SCHEDULE_CATCHUP_WINDOW_MS) {
    throw new ZapValidationError({ message: `catchupWindow must be at least 10 seconds; got ${JSON.stringify(options.catchupWindow)}.` });
  }
  const jitterMs = options.jitter === undefined ? (base?.jitterMs ?? DEFAULT_SCHEDULE_JITTER_MS) : readDuration(options.jitter, 'jitter', true);
  return { ...(cron !== undefined ? { cron } : { everyMs }), timezone, jitterMs, overlap, catchupWindowMs };
}

/** `ZapValidationError` unless `overlap` is one of {@link SCHEDULE_OVERLAP_POLICIES}. */
export function validateOverlap(overlap: unknown): ScheduleOverlap {
  if (typeof overlap !== 'string' || !SCHEDULE_OVERLAP_POLICIES.includes(overlap as ScheduleOverlap)) {
    throw new ZapValidationError({
      message: `overlap must be one of ${SCHEDULE_OVERLAP_POLICIES.map((policy) => `'${policy}'`).join(', ')}; got ${JSON.stringify(overlap)}.`,
    });
  }
  return overlap as ScheduleOverlap;
}

/**
 * Milliseconds of a duration option; `ZapValidationError` unless it is a duration that is positive
 * (or zero, with `allowZero`).
 */
export function readDuration(value: Duration, field: string, allowZero = false): number {
  let milliseconds: number;
  try {
    milliseconds = msToNumber(value);
  } catch (error) {
    throw new ZapValidationError({ message: `${field}: ${JSON.stringify(value)} is not a duration.`, cause: error });
  }
  if (!Number.isFinite(milliseconds) || milliseconds < 0 || (!allowZero && milliseconds === 0)) {
    throw new ZapValidationError({ message: `${field} must be a ${allowZero ? 'non-negative' : 'positive'} duration; got ${JSON.stringify(value)}.` });
  }
  return milliseconds;
}

/**
 * A cron expression's shape (the Temporal server parses it fully when the schedule is created,
 * and its refusal is a `ZapValidationError` too). Time zones go in `timezone`, not in the string.
 */
function validateCron(cron: unknown): string {
  if (typeof cron !== 'string' || cron.trim() === '' || cron.length > 256) {
    throw new ZapValidationError({ message: `cron must be a cron expression; got ${JSON.stringify(cron)}.` });
  }
  const expression = cron.trim();
  if (/^(CRON_)?TZ=/i.test(expression)) {
    throw new ZapValidationError({ message: 'cron: give the time zone as `timezone`, not in the expression.' });
  }
  const fields = expression.replace(/#.*$/, '').trim().split(/\s+/);
  const shorthand = fields[0]?.startsWith('@');
  const valid = shorthand
    ? (fields.length === 1 && CRON_SHORTHANDS.has(fields[0]!.toLowerCase())) || (fields[0] === '@every' && fields.length === 2)
    : fields.length >= 5 && fields.length <= 7 && fields.every((field) => CRON_FIELD.test(field));
  if (!valid) {
    throw new ZapValidationError({
      message: `cron ${JSON.stringify(cron)} is not a cron expression: use 5 fields (minute hour day-of-month month day-of-week), 6 or 7, or @daily, @hourly, ….`,
    });
  }
  return expression;
}

function validateTimezone(timezone: unknown): string {
  if (typeof timezone !== 'string' || timezone === '') {
    throw new ZapValidationError({ message: `timezone must be an IANA time zone name such as 'Europe/Paris'; got ${JSON.stringify(timezone)}.` });
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (error) {
    throw new ZapValidationError({ message: `timezone ${JSON.stringify(timezone)} is not a known IANA time zone.`, cause: error });
  }
  return timezone;
}
