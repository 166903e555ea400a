import { temporal } from '@temporalio/proto';

/** How much a workflow run left in Temporal's history. */
export interface HistorySize {
  /** Number of history events. */
  events: number;
  /** Size of the history encoded as protobuf, the form the server stores and ships to workers. */
  bytes: number;
  /** Workflow tasks completed: round trips between the server and the workflow code. */
  workflowTasks: number;
}

/** Measures a history fetched with `handle.fetchHistory()`. */
export function measureHistorySize(history: temporal.api.history.v1.IHistory): HistorySize {
  const events = history.events ?? [];
  const completed = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    workflowTasks: events.filter((event) => event.eventType === completed).length,
  };
}
