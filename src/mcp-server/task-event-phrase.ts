import type { TaskEvent } from '../core/events';

/**
 * One human-readable line for a task event, as `wait_for_task` progress notifications carry it
 * (a client shows it while the call waits): the tool call's own phrase ("Getting weather for
 * Paris..."), "Waiting for approval of transfer_funds", "Completed", ….
 */
export function describeTaskEvent(event: TaskEvent): string {
  switch (event.type) {
    case 'thinking':
      return `Thinking (model call ${event.iteration})`;
    case 'token':
      return 'Writing';
    case 'tool_call':
      return event.phrase;
    case 'tool_result':
      return event.success ? `${event.name} finished` : `${event.name} failed`;
    case 'approval_requested':
      return `Waiting for approval of ${event.approval.toolName} (approval ${event.approval.id})`;
    case 'approval_escalated':
      return `Approval ${event.approval.id} of ${event.approval.toolName} escalated; waiting until ${event.approval.timeoutAt}`;
    case 'usage':
      return `Model call cost $${event.costUsd}${event.estimated ? ' (estimated)' : ''}; $${event.budget.spent.usd} spent`;
    case 'budget_raised':
      return `Budget raised (approval ${event.approvalId})`;
    case 'approval_resolved':
      return `Approval ${event.approvalId} ${event.decision.replace('_', ' ')}${event.decidedBy ? ` by ${event.decidedBy}` : ''}`;
    case 'sub_task_started':
      return `Asked ${event.agentName} (sub-task ${event.subTaskId})`;
    case 'event_received':
      return `Received event ${event.eventName}`;
    case 'event_wait_started':
      return `Waiting for event ${event.eventName}`;
    case 'event_wait_finished':
      return event.outcome === 'received' ? `Got event ${event.eventName}` : `Stopped waiting for event ${event.eventName}`;
    case 'stuck':
      return `Stuck (${event.reason.replace('_', ' ')}${event.toolName ? ` of ${event.toolName}` : ''}): ${event.action}`;
    case 'nudged':
      return 'Nudged: no reply within the quiet period';
    case 'step_started':
      return `Step ${event.step} started${event.agentName ? ` (${event.agentName}, task ${event.subTaskId})` : ''}`;
    case 'step_finished':
      return `Step ${event.step} ${event.status}${event.error ? `: ${event.error}` : ''}`;
    case 'completed':
      return 'Completed';
    case 'error':
      return `Failed: ${event.error}`;
    case 'cancelled':
      return `Cancelled: ${event.reason}`;
  }
}
