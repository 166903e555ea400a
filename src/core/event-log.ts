import type { DurableEventInput, TaskEvent } from './events';
import { utf8ByteLength } from './message-pages';

/** Bytes of JSON an events page holds unless the reader asks for less (well under gRPC's 4 MB). */
export const DEFAULT_EVENT_PAGE_BYTES = 256 * 1024;

/** What an {@link EventLog} carries across continue-as-new. */
export interface EventLogState {
  events: TaskEvent[];
  lastSeq: number;
}

/**
 * The durable events of a task, numbered by a `seq` that never restarts (the counter travels
 * across continue-as-new). Only the newest `limit` events are kept; a consumer asking for older
 * ones learns the lowest `seq` still held and resumes from there.
 */
export class EventLog {
  private readonly events: TaskEvent[];
  private lastSeq: number;

  constructor(
    private readonly taskId: string,
    private readonly limit: number,
    state?: EventLogState,
  ) {
    this.events = state ? [...state.events] : [];
    this.lastSeq = state?.lastSeq ?? 0;
  }

  /** Stamps and stores an event; returns it. */
  append(input: DurableEventInput, now: Date): TaskEvent {
    this.lastSeq += 1;
    const event = { ...input, seq: this.lastSeq, timestamp: now.toISOString(), taskId: this.taskId } as TaskEvent;
    this.events.push(event);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    return event;
  }

  /** Events with `seq > since`, oldest first. */
  since(since: number): TaskEvent[] {
    const first = this.events[0];
    if (!first || since < first.seq) return [...this.events];
    return this.events.slice(since - first.seq + 1);
  }

  /** `seq` of the oldest event still held (`lastSeq + 1` when none is). */
  firstRetainedSeq(): number {
    return this.events[0]?.seq ?? this.lastSeq + 1;
  }

  latestSeq(): number {
    return this.lastSeq;
  }

  toState(): EventLogState {
    return { events: [...this.events], lastSeq: this.lastSeq };
  }
}

/** The first events that fit in `maxBytes` of JSON; at least one, so a reader always advances. */
export function takeEventPage(events: TaskEvent[], maxBytes: number = DEFAULT_EVENT_PAGE_BYTES): TaskEvent[] {
  let bytes = 0;
  let count = 0;
  for (const event of events) {
    bytes += utf8ByteLength(JSON.stringify(event));
    if (count > 0 && bytes > maxBytes) break;
    count += 1;
  }
  return count === events.length ? events : events.slice(0, count);
}
