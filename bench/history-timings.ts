import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/**
 * Where a task's time went, from the server's timestamps in its history, summed over the measured
 * part of the run (the events before the final timer starts).
 */
export interface HistoryTimings {
  /** Workflow tasks, scheduled → started: waiting for the worker to take them. */
  workflowTaskWaitMs: number;
  /** Workflow tasks, started → completed: the worker running the workflow code and replying. */
  workflowTaskRunMs: number;
  /** Activities, scheduled → started: waiting for the worker to take them. */
  activityWaitMs: number;
  /** Model activities, started → completed (zap-agents' include the conversation query). */
  modelActivityRunMs: number;
  /** Tool activities, started → completed. */
  toolActivityRunMs: number;
}

/** Activity type names of the model activities of both sides; every other activity is a tool call. */
const MODEL_ACTIVITY_TYPES = new Set(['invokeModel', 'callModel']);

const EventType = temporal.api.enums.v1.EventType;

/** Sums the phases of a history fetched with `handle.fetchHistory()`. */
export function measureHistoryTimings(history: temporal.api.history.v1.IHistory): HistoryTimings {
  const timings: HistoryTimings = {
    workflowTaskWaitMs: 0,
    workflowTaskRunMs: 0,
    activityWaitMs: 0,
    modelActivityRunMs: 0,
    toolActivityRunMs: 0,
  };
  const times = new Map<number, number>();
  const activityTypes = new Map<number, string>();
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_TIMER_STARTED) break;
    const eventId = Number(event.eventId);
    const time = tsToMs(event.eventTime);
    times.set(eventId, time);
    const since = (id: unknown): number => time - (times.get(Number(id)) ?? time);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        timings.workflowTaskWaitMs += since(event.workflowTaskStartedEventAttributes?.scheduledEventId);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        timings.workflowTaskRunMs += since(event.workflowTaskCompletedEventAttributes?.startedEventId);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activityTypes.set(eventId, event.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        timings.activityWaitMs += since(event.activityTaskStartedEventAttributes?.scheduledEventId);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const attributes = event.activityTaskCompletedEventAttributes;
        const run = since(attributes?.startedEventId);
        if (MODEL_ACTIVITY_TYPES.has(activityTypes.get(Number(attributes?.scheduledEventId)) ?? '')) {
          timings.modelActivityRunMs += run;
        } else {
          timings.toolActivityRunMs += run;
        }
        break;
      }
      default:
        break;
    }
  }
  return timings;
}
