import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Resolves once the workflow's history holds a `TimerStarted` event. Both benchmarked workflows
 * start their first and only timer in the workflow task that records the final answer (zap-agents'
 * idle wait, the bare workflow's sleep), so this is the moment the answer is durably recorded.
 * The first call returns the history so far; later ones long-poll for new events, so a wait
 * begun as the last model request arrives costs one or two calls.
 */
export async function waitForAnswerRecorded(client: Client, workflowId: string): Promise<void> {
  const timerStarted = temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      waitNewEvent: true,
      nextPageToken,
      skipArchival: true,
    });
    const events = response.history?.events ?? [];
    if (events.some((event) => event.eventType === timerStarted)) return;
    // An empty page with a token is a long poll that timed out: poll again.
    if (!response.nextPageToken?.length) throw new Error(`Workflow ${workflowId} closed without starting its final timer.`);
    nextPageToken = response.nextPageToken;
  }
}
