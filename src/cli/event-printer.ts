import type { TaskEvent } from '../core/events';
import type { CliOutput } from './cli-output';
import { shorten } from './format-task';

/** Characters of a tool result or event data shown on an event line. */
const EVENT_TEXT_LIMIT = 160;

/**
 * The live view of `zap events` and `zap wait`: one line per event with its phrase; with
 * `tokens`, the model's tokens inline as they arrive (the line is closed before the next event).
 * With `--json`, one JSON object per event.
 */
export class EventPrinter {
  private midTokenLine = false;

  constructor(
    private readonly output: CliOutput,
    private readonly options: { tokens: boolean },
  ) {}

  /** Prints one event. */
  print(event: TaskEvent): void {
    if (this.output.json) {
      this.output.jsonLine(event);
      return;
    }
    if (event.type === 'token') {
      if (!this.options.tokens) return;
      this.output.raw(event.delta);
      this.midTokenLine = true;
      return;
    }
    this.finishTokenLine();
    this.output.line(`#${event.seq} ${event.type.padEnd(19)} ${describeEvent(event)}`);
  }

  /** Closes a line of tokens, if one is open. */
  finishTokenLine(): void {
    if (!this.midTokenLine) return;
    this.output.raw('\n');
    this.midTokenLine = false;
  }
}

/** The phrase of an event line. */
export function describeEvent(event: TaskEvent): string {
  switch (event.type) {
    case 'thinking':
      return `Thinking (model call ${event.iteration} of this request)...`;
    case 'token':
      return event.delta;
    case 'tool_call':
      return event.phrase;
    case 'tool_result':
      return `${event.name} ${event.success ? 'returned' : 'failed'}: ${shorten(event.result, EVENT_TEXT_LIMIT)}`;
    case 'approval_requested': {
      const { approval } = event;
      const summary = approval.summary !== undefined ? `: ${shorten(approval.summary, EVENT_TEXT_LIMIT)}` : '';
      return `${approval.toolName}(${shorten(JSON.stringify(approval.toolArgs), EVENT_TEXT_LIMIT)}) needs approval${summary} — ` +
        `zap approve ${event.taskId} ${approval.id}`;
    }
    case 'approval_resolved':
      return `Approval ${event.approvalId} ${event.decision}${event.decidedBy ? ` by ${event.decidedBy}` : ''}` +
        `${event.reason ? `: ${event.reason}` : ''}`;
    case 'sub_task_started':
      return `Sub-task ${event.subTaskId} (${event.agentName}) started`;
    case 'event_received':
      return `Event ${event.eventName} received${event.waiting ? '' : ' (kept for a later wait)'}: ${shorten(event.preview, EVENT_TEXT_LIMIT)}`;
    case 'event_wait_started':
      return `Waiting for event ${event.eventName} until ${event.deadline} — zap event ${event.taskId} ${event.eventName} --data '<json>'`;
    case 'event_wait_finished':
      return event.outcome === 'received' ? `Event ${event.eventName} arrived` : `Wait for event ${event.eventName} timed out`;
    case 'step_started':
      return `Step ${event.step} started${event.subTaskId ? ` — task ${event.subTaskId} (${event.agentName})` : ''}`;
    case 'step_finished':
      return `Step ${event.step} ${event.status}${event.error ? `: ${event.error}` : ''}`;
    case 'completed':
      return `Answered: ${shorten(event.result, EVENT_TEXT_LIMIT)}`;
    case 'error':
      return `Failed: ${event.error}`;
    case 'cancelled':
      return `Cancelled: ${event.reason}`;
    default:
      return shorten(JSON.stringify(event), EVENT_TEXT_LIMIT);
  }
}
