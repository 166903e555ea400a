import { setHandler } from '@temporalio/workflow';
import { takeEventPage } from '../core/event-log';
import { takeMessagePage } from '../core/message-pages';
import { TaskStatus } from '../core/task-status';
import type { AgentTask } from './agent-task';
import {
  cancelReasonSignal,
  decideApprovalUpdate,
  followUpSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskStateQuery,
  getTaskStatusQuery,
  subTaskUpdateSignal,
} from './definitions';

/** Registers the signals, updates and queries of a task (see `definitions.ts`). */
export function registerTaskHandlers(task: AgentTask): void {
  const { state } = task;
  setHandler(followUpSignal, ({ content }) => {
    state.pendingMessages.push(content);
    // A follow-up reopens an answered task at once, so a caller that reads the task right after
    // sending one never mistakes the previous answer for the new one.
    if (state.status === TaskStatus.Completed) state.status = TaskStatus.Thinking;
    task.markUpdated();
  });
  setHandler(cancelReasonSignal, (reason) => {
    state.cancelReason = reason;
  });
  setHandler(subTaskUpdateSignal, (update) => task.delegation.onUpdate(update));
  setHandler(
    decideApprovalUpdate,
    (decision) => {
      const result = task.approvals.decide(decision);
      if (!result.alreadyDecided) task.markUpdated();
      return result;
    },
    { validator: (decision) => task.approvals.validate(decision) },
  );
  setHandler(getTaskStateQuery, () => task.snapshot());
  setHandler(getTaskStatusQuery, () => task.statusSnapshot());
  setHandler(getMessagesQuery, ({ from, to, maxBytes }) => {
    if (to > state.messages.length) {
      throw new Error(`The conversation has ${state.messages.length} messages; ${to} were asked for.`);
    }
    return takeMessagePage(state.messages, from, to, maxBytes);
  });
  setHandler(getEventsQuery, (since, options) => {
    const events = task.eventLog.since(since);
    const page = takeEventPage(events, options?.maxBytes);
    return {
      events: page,
      hasMore: page.length < events.length,
      firstRetainedSeq: task.eventLog.firstRetainedSeq(),
      lastSeq: task.eventLog.latestSeq(),
      closed: task.closed,
    };
  });
}

