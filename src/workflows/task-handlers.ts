import { setHandler } from '@temporalio/workflow';
import { takeMessagePage } from '../core/message-pages';
import { TaskStatus } from '../core/task-status';
import type { AgentTask } from './agent-task';
import {
  cancelReasonSignal,
  deliverEventUpdate,
  followUpSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskContextQuery,
  getTaskStateQuery,
  getTaskStatusQuery,
  subTaskUpdateSignal,
} from './definitions';
import { registerApprovalDecisions } from './approval-gate';
import { answerEventsQuery } from './events-query-answer';

/** Registers the signals, updates and queries of a task (see `definitions.ts`). */
export function registerTaskHandlers(task: AgentTask): void {
  const { state } = task;
  setHandler(followUpSignal, ({ content, budgetLimits }) => {
    state.pendingMessages.push(content);
    if (budgetLimits) task.budget.setLimits(budgetLimits);
    // A real message ends the quiet period: the agent's nudge may come again after the next answer.
    state.nudged = false;
    // A follow-up reopens an answered task at once, so a caller that reads the task right after
    // sending one never mistakes the previous answer for the new one.
    if (state.status === TaskStatus.Completed) state.status = TaskStatus.Thinking;
    task.markUpdated();
  });
  setHandler(cancelReasonSignal, (reason) => {
    state.cancelReason = reason;
  });
  setHandler(subTaskUpdateSignal, (update) => task.delegation.onUpdate(update));
  registerApprovalDecisions(task.approvals, () => task.markUpdated());
  setHandler(deliverEventUpdate, (event) => task.events.deliver(event), {
    validator: (event) => task.events.validate(event),
  });
  setHandler(getTaskStateQuery, () => task.snapshot());
  setHandler(getTaskStatusQuery, () => task.statusSnapshot());
  setHandler(getTaskContextQuery, () => task.input.context ?? null);
  setHandler(getMessagesQuery, ({ from, to, maxBytes }) => {
    if (to > state.messages.length) {
      throw new Error(`The conversation has ${state.messages.length} messages; ${to} were asked for.`);
    }
    return takeMessagePage(state.messages, from, to, maxBytes);
  });
  setHandler(getEventsQuery, (since, options) => answerEventsQuery(task.eventLog, task.closed, since, options));
}

