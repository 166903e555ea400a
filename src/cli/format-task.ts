import type { ChatMessage } from '../core/messages';
import type {
  ApprovalDecisionResult,
  ApprovalDecisionsResult,
  DeliverEventResult,
  HistoryPage,
  PendingApprovalView,
  TaskListPage,
  TaskStatusView,
  TaskUsage,
  WaitForTaskResult,
} from '../operations/operation-schemas';

/** Longest text (result, error, message) shown on one line of a summary; `--json` has all of it. */
const SUMMARY_TEXT_LIMIT = 400;

/** `label  value` rows with the values aligned. */
export function formatRows(rows: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** The aligned summary `zap status` prints. */
export function formatStatus(view: TaskStatusView): string {
  const { usage, counts, waitingFor } = view;
  const rows: Array<readonly [string, string | undefined]> = [
    ['Task', view.taskId],
    ['Agent', view.agent],
    ['Status', view.status],
    ['Tenant', view.tenantId],
    ['User', view.userId],
    ['Parent', view.parentTaskId],
    ['Result', view.result !== undefined ? shorten(view.result) : undefined],
    ['Error', view.error !== undefined ? shorten(view.error) : undefined],
    ['Cancelled', view.cancelReason],
    ...waitingFor.approvals.map((approval) => ['Approval', formatPendingApproval(approval, view.taskId)] as const),
    ['Events', waitingFor.events.length > 0 ? `waiting for ${waitingFor.events.join(', ')}` : undefined],
    ['Sub-tasks', waitingFor.subTasks.length > 0 ? `waiting for ${waitingFor.subTasks.join(', ')}` : undefined],
    ['Messages', String(counts.messages)],
    ['Tokens', `${usage.totalTokens} (prompt ${usage.promptTokens}, completion ${usage.completionTokens})`],
    ['Last event', String(view.lastEventSeq)],
    ['Created', view.createdAt],
    ['Updated', view.updatedAt],
  ];
  return formatRows(rows);
}

/** One pending approval (its summary first, when it has one), with the command that decides it. */
export function formatPendingApproval(approval: PendingApprovalView, taskId: string): string {
  const owner = approval.taskId !== taskId ? ` in ${approval.taskId}` : '';
  const summary = approval.summary !== undefined ? `${shorten(approval.summary, 160)} — ` : '';
  return `${approval.approvalId}: ${summary}${approval.toolName}(${shorten(JSON.stringify(approval.arguments), 120)})${owner} ` +
    `until ${approval.timeoutAt} — zap approve ${taskId} ${approval.approvalId}`;
}

/** What `zap start` (without `--wait`), `send` and `cancel` print. */
export function formatStatusLine(prefix: string, view: TaskStatusView): string {
  return `${prefix} ${view.taskId} (agent ${view.agent}): ${view.status}`;
}

/** The last line of `zap wait` and `zap start --wait`. */
export function formatWaitOutcome(result: WaitForTaskResult, timeoutSeconds: number | undefined): string {
  const { task } = result;
  switch (result.outcome) {
    case 'completed':
      return `Task ${task.taskId} completed:\n${task.result ?? ''}`;
    case 'failed':
      return `Task ${task.taskId} failed: ${task.error ?? 'unknown error'}`;
    case 'cancelled':
      return `Task ${task.taskId} was cancelled${task.cancelReason ? `: ${task.cancelReason}` : ''}`;
    case 'timed_out': {
      const waited = timeoutSeconds !== undefined ? ` after ${timeoutSeconds} s` : '';
      const pending = task.waitingFor.approvals.map((approval) => `\n  approval ${formatPendingApproval(approval, task.taskId)}`).join('');
      return `Timed out${waited}: task ${task.taskId} is ${task.status} (it goes on; wait again or check zap status).${pending}`;
    }
  }
}

/** A history page, one message per line. */
export function formatHistory(page: HistoryPage): string {
  const width = String(page.offset + page.messages.length).length;
  const lines = page.messages.map((message, index) => {
    const position = `[${String(page.offset + index).padStart(width)}]`;
    return `${position} ${message.role.padEnd(9)} ${formatMessage(message)}`;
  });
  const last = page.offset + page.messages.length - 1;
  lines.push(
    page.messages.length > 0 ? `Messages ${page.offset}–${last} of ${page.total}` : `No messages at offset ${page.offset} (${page.total} in all)`,
  );
  if (page.nextOffset !== undefined) lines.push(`Next page: --offset ${page.nextOffset}`);
  return lines.join('\n');
}

function formatMessage(message: ChatMessage): string {
  switch (message.role) {
    case 'system':
      return shorten(message.content);
    case 'user':
      return typeof message.content === 'string'
        ? shorten(message.content)
        : message.content.map((part) => (part.type === 'text' ? shorten(part.text) : `[image ${shorten(part.image_url.url, 60)}]`)).join(' ');
    case 'assistant': {
      const calls = (message.tool_calls ?? []).map((call) => `→ ${call.function.name}(${shorten(call.function.arguments, 120)})`);
      return [message.content ? shorten(message.content) : undefined, ...calls].filter(Boolean).join(' ');
    }
    case 'tool':
      return `(${message.tool_call_id}) ${shorten(message.content)}`;
  }
}

/** A task list as a table. */
export function formatTaskList(page: TaskListPage): string {
  if (page.tasks.length === 0) return 'No tasks.';
  const header = ['TASK', 'AGENT', 'STATUS', 'CREATED', 'PARENT'];
  const rows = page.tasks.map((task) => [task.taskId, task.agent, task.status, task.createdAt, task.parentTaskId ?? '']);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const lines = [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  if (page.nextPageToken) lines.push(`Next page: --page-token ${page.nextPageToken}`);
  return lines.join('\n');
}

/** Token usage of a task. */
export function formatUsage(usage: TaskUsage): string {
  return formatRows([
    ['Task', usage.taskId],
    ['Prompt', String(usage.usage.promptTokens)],
    ['Completion', String(usage.usage.completionTokens)],
    ['Total', String(usage.usage.totalTokens)],
    ['Sub-tasks', usage.subTasks.length > 0 ? `${usage.subTasks.join(', ')} (zap usage <id> for each)` : undefined],
  ]);
}

/** What `zap approve` / `zap reject` print. */
export function formatDecision(result: ApprovalDecisionResult): string {
  const by = result.decidedBy ? ` by ${result.decidedBy}` : '';
  return result.alreadyDecided
    ? `Approval ${result.approvalId} of task ${result.taskId} was already decided: ${result.decision}`
    : `Approval ${result.approvalId} of task ${result.taskId} ${result.decision}${by}`;
}

/** What `zap decide` prints: one line per decision. */
export function formatDecisions(result: ApprovalDecisionsResult): string {
  return result.results
    .map((entry) => formatDecision({ taskId: result.taskId, ...entry, ...(result.decidedBy !== undefined ? { decidedBy: result.decidedBy } : {}) }))
    .join('\n');
}

/** What `zap event` prints. */
export function formatDelivery(result: DeliverEventResult): string {
  return result.waiting
    ? `Event ${result.name} delivered to task ${result.taskId}: a waiting call took it`
    : `Event ${result.name} delivered to task ${result.taskId}: kept for its next wait`;
}

/** `text` on one line, cut at `limit` characters. */
export function shorten(text: string, limit = SUMMARY_TEXT_LIMIT): string {
  const flat = text.replace(/\s*\n\s*/g, ' ↵ ');
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}
