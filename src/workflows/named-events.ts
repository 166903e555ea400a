import { ApplicationFailure, condition } from '@temporalio/workflow';
import {
  DEFAULT_EVENT_WAIT_TIMEOUT_MS,
  MAX_EVENT_DATA_BYTES,
  MAX_EVENT_WAIT_TIMEOUT_MS,
  MAX_KEPT_EVENTS_BYTES,
  MAX_KEPT_EVENTS_PER_NAME,
} from '../core/defaults';
import { EVENT_PREVIEW_BYTES, type DurableEventInput } from '../core/events';
import { FailureType } from '../core/failure-types';
import { formatDuration } from '../core/format-duration';
import { utf8ByteLength, utf8Prefix } from '../core/message-pages';
import type { EventWaitSnapshot } from '../core/task-snapshot';
import type { AgentWorkflowInput, ReceivedEvent } from '../core/task-state';
import type { ToolCallOutcome } from '../core/tool-definition';
import type { DeliverEventInput, DeliverEventResult } from './definitions';
import { Patch } from './patches';
import type { RunPatches } from './run-patches';

/** Arguments of the built-in `wait_for_event` tool. */
interface WaitForEventArguments {
  event?: unknown;
  timeoutSeconds?: unknown;
}

/** What named events need from their task. */
export interface NamedEventsHost {
  readonly input: AgentWorkflowInput;
  emit(event: DurableEventInput): void;
  markUpdated(): void;
  /** A wait started or ended: the task's status follows. */
  onEventWaitsChanged(): void;
  /** The changes the run takes. */
  readonly patches: RunPatches;
}

/** A `wait_for_event` call in progress; `received` is set by the delivery that ends it. */
interface EventWait extends EventWaitSnapshot {
  received?: ReceivedEvent;
}

/**
 * The named events of one task: deliveries (an update) and the built-in `wait_for_event` tool.
 * A delivery goes to the oldest wait for its name, or is kept (in the carried state, so it
 * survives continue-as-new) until the next wait for that name takes it, oldest first. A wait is
 * a durable timer and a condition in the workflow: a worker restart or a deploy loses nothing.
 */
export class NamedEvents {
  private readonly waits: EventWait[] = [];

  constructor(
    private readonly host: NamedEventsHost,
    /** Delivered events no wait has taken yet, oldest first (the task's carried state). */
    private readonly kept: ReceivedEvent[],
  ) {}

  /** The waits that have not got their event yet, oldest first. */
  pendingWaits(): EventWaitSnapshot[] {
    return this.waits
      .filter((wait) => wait.received === undefined)
      .map(({ eventName, toolCallId, since, deadline }) => ({ eventName, toolCallId, since, deadline }));
  }

  /** Runs one `wait_for_event` call; bad arguments come back as error results for the model. */
  async waitForEvent(args: WaitForEventArguments, toolCallId: string): Promise<ToolCallOutcome> {
    const declared = this.declaredNames();
    const eventName = args.event;
    if (typeof eventName !== 'string' || !declared.includes(eventName)) {
      return failure(`wait_for_event needs \`event\`, one of: ${declared.join(', ') || 'none'} (got ${JSON.stringify(eventName ?? null)}).`);
    }
    const timeoutMs = waitTimeoutMs(args.timeoutSeconds);
    if (timeoutMs === undefined) {
      return failure(
        `wait_for_event: timeoutSeconds must be a number of seconds above 0 and at most ${MAX_EVENT_WAIT_TIMEOUT_MS / 1000} ` +
          `(${formatDuration(MAX_EVENT_WAIT_TIMEOUT_MS)}); got ${JSON.stringify(args.timeoutSeconds)}.`,
      );
    }
    // Only agents that declare events get here; the patch marks histories that may wait.
    if (!this.host.patches.has(Patch.NamedEvents)) return failure('wait_for_event is not available to this task.');

    const now = Date.now();
    const wait: EventWait = {
      eventName,
      toolCallId,
      since: new Date(now).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
    };
    this.host.emit({ type: 'event_wait_started', eventName, toolCallId, timeoutMs, deadline: wait.deadline });
    wait.received = this.takeKept(eventName);
    if (wait.received === undefined) {
      this.waits.push(wait);
      this.host.onEventWaitsChanged();
      try {
        await condition(() => wait.received !== undefined, timeoutMs);
      } finally {
        this.waits.splice(this.waits.indexOf(wait), 1);
        this.host.onEventWaitsChanged();
      }
    }
    // A delivery recorded together with the timeout still counts: it was given to this wait.
    const received = wait.received;
    if (received === undefined) {
      this.host.emit({ type: 'event_wait_finished', eventName, toolCallId, outcome: 'timed_out' });
      return {
        content:
          `[Event '${eventName}' did not arrive within ${formatDuration(timeoutMs)}. You may call wait_for_event ` +
          'again to keep waiting; an event that arrives in between is kept for that wait.]',
        isError: false,
      };
    }
    this.host.emit({ type: 'event_wait_finished', eventName, toolCallId, outcome: 'received', receivedAt: received.receivedAt });
    return {
      content: JSON.stringify({ event: eventName, receivedAt: received.receivedAt, data: received.data }),
      isError: false,
    };
  }

  /**
   * Update validator: refuses undeclared names, data over the size limit, and events past what
   * the task keeps, before the delivery enters history.
   */
  validate(input: DeliverEventInput): void {
    if (!input || typeof input.name !== 'string' || input.data === undefined) {
      throw refusal(FailureType.EventValidation, 'An event needs a name and data.', {});
    }
    const { name } = input;
    const declared = this.declaredNames();
    if (!declared.includes(name)) {
      throw refusal(FailureType.UnknownEvent, `The task's agent declares no event named '${name}'. Declared events: ${declared.join(', ') || 'none'}.`, {
        eventName: name,
        declaredEvents: declared,
      });
    }
    const bytes = utf8ByteLength(JSON.stringify(input.data));
    if (bytes > MAX_EVENT_DATA_BYTES) {
      throw refusal(FailureType.EventValidation, `The data of event '${name}' is ${bytes} bytes of JSON; at most ${MAX_EVENT_DATA_BYTES} are accepted.`, {
        eventName: name,
      });
    }
    if (this.waits.some((wait) => wait.eventName === name && wait.received === undefined)) return;
    const keptOfName = this.kept.filter((event) => event.name === name).length;
    if (keptOfName >= MAX_KEPT_EVENTS_PER_NAME) {
      throw refusal(FailureType.EventBufferFull, `The task already keeps ${keptOfName} events named '${name}'.`, {
        eventName: name,
        limit: `${MAX_KEPT_EVENTS_PER_NAME} events named '${name}'`,
      });
    }
    const keptBytes = this.kept.reduce((total, event) => total + utf8ByteLength(JSON.stringify(event.data)), 0);
    if (keptBytes + bytes > MAX_KEPT_EVENTS_BYTES) {
      throw refusal(FailureType.EventBufferFull, `The task already keeps ${keptBytes} bytes of events.`, {
        eventName: name,
        limit: `${MAX_KEPT_EVENTS_BYTES} bytes of events`,
      });
    }
  }

  /** Update handler (after {@link validate}): gives the event to the oldest wait for it, or keeps it. */
  deliver(input: DeliverEventInput): DeliverEventResult {
    const event: ReceivedEvent = {
      name: input.name,
      data: input.data,
      receivedAt: new Date().toISOString(),
      ...(input.eventId !== undefined ? { eventId: input.eventId } : {}),
    };
    const wait = this.waits.find((candidate) => candidate.eventName === input.name && candidate.received === undefined);
    if (wait) wait.received = event;
    else this.kept.push(event);
    const json = JSON.stringify(input.data);
    const dataBytes = utf8ByteLength(json);
    const truncated = dataBytes > EVENT_PREVIEW_BYTES;
    this.host.emit({
      type: 'event_received',
      eventName: input.name,
      preview: truncated ? utf8Prefix(json, EVENT_PREVIEW_BYTES) : json,
      dataBytes,
      ...(truncated ? { truncated } : {}),
      waiting: wait !== undefined,
    });
    this.host.markUpdated();
    return { accepted: true, waiting: wait !== undefined };
  }

  private declaredNames(): string[] {
    return Object.keys(this.host.input.agent.events ?? {});
  }

  /** Removes and returns the oldest kept event of this name. */
  private takeKept(name: string): ReceivedEvent | undefined {
    const index = this.kept.findIndex((event) => event.name === name);
    return index < 0 ? undefined : this.kept.splice(index, 1)[0];
  }
}

/** Milliseconds a call waits: the default without `timeoutSeconds`, undefined when the value is not allowed. */
function waitTimeoutMs(timeoutSeconds: unknown): number | undefined {
  if (timeoutSeconds === undefined || timeoutSeconds === null) return DEFAULT_EVENT_WAIT_TIMEOUT_MS;
  const seconds = typeof timeoutSeconds === 'string' && timeoutSeconds.trim() !== '' ? Number(timeoutSeconds) : timeoutSeconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  const milliseconds = Math.max(1, Math.round(seconds * 1000));
  return milliseconds <= MAX_EVENT_WAIT_TIMEOUT_MS ? milliseconds : undefined;
}

function refusal(type: FailureType, message: string, details: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, details: [details], nonRetryable: true });
}

function failure(message: string): ToolCallOutcome {
  return { content: `Error: ${message}`, isError: true };
}
