import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** How much a workflow run left in Temporal's history. */
export interface HistorySize {
  /** Number of history events. */
  events: number;
  /** Size of the history encoded as protobuf, the form the server stores and ships to workers. */
  bytes: number;
  /** Workflow tasks completed, i.e. round trips between the server and the workflow code. */
  workflowTasks: number;
}

/** Fetches a workflow's full history and measures it. */
export async function measureHistory(client: Client, workflowId: string): Promise<HistorySize> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const completed = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    workflowTasks: events.filter((event) => event.eventType === completed).length,
  };
}
