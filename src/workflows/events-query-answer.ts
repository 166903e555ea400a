import { takeEventPage, type EventLog } from '../core/event-log';
import type { GetEventsQueryOptions, GetEventsQueryResult } from './definitions';

/**
 * The answer to `getEventsQuery` from a workflow's event log: the events after `since`, one
 * page bounded in bytes, and where the log starts and ends. Shared by agent tasks and
 * pipeline runs, which stream through the same client code.
 */
export function answerEventsQuery(
  log: EventLog,
  closed: boolean,
  since: number,
  options: GetEventsQueryOptions | undefined,
): GetEventsQueryResult {
  const events = log.since(since);
  const page = takeEventPage(events, options?.maxBytes);
  return {
    events: page,
    hasMore: page.length < events.length,
    firstRetainedSeq: log.firstRetainedSeq(),
    lastSeq: log.latestSeq(),
    closed,
  };
}
