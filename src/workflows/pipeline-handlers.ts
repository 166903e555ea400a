import { setHandler } from '@temporalio/workflow';
import type { PipelineExecution } from './pipeline-execution';
import {
  cancelReasonSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskContextQuery,
  getTaskStateQuery,
  getTaskStatusQuery,
  subTaskUpdateSignal,
} from './definitions';
import { registerApprovalDecisions } from './approval-gate';
import { answerEventsQuery } from './events-query-answer';

/**
 * Registers what a pipeline run answers: the task protocol of `definitions.ts`, so the client's
 * task reads, streams, approvals and cancellation work on runs unchanged. A run has no
 * conversation (`messageCount` 0) and takes no follow-ups or named events.
 */
export function registerPipelineHandlers(run: PipelineExecution): void {
  setHandler(cancelReasonSignal, (reason) => {
    run.cancelReason = reason;
  });
  // A step's task reports each answer to its parent; the run waits for the task to close instead.
  setHandler(subTaskUpdateSignal, (update) => {
    run.reports[update.subTaskId] = update;
  });
  registerApprovalDecisions(run.approvals, () => run.markUpdated());
  setHandler(getTaskStateQuery, () => run.snapshot());
  setHandler(getTaskStatusQuery, () => run.statusSnapshot());
  setHandler(getTaskContextQuery, () => null);
  setHandler(getMessagesQuery, ({ to }) => {
    if (to > 0) throw new Error(`A pipeline run has no conversation; ${to} messages were asked for.`);
    return [];
  });
  setHandler(getEventsQuery, (since, options) => answerEventsQuery(run.eventLog, run.closed, since, options));
}
