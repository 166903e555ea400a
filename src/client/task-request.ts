import { z } from 'zod';
import type { ZapAgent } from '../agent/zap-agent';
import { ApprovalRules } from '../core/approval-rules';
import { validateContentParts } from '../core/content';
import { AgentNotFoundError, VisionNotSupportedError, ZapValidationError } from '../core/errors';
import { findNonJsonValue, type JsonValue } from '../core/json';
import { contentPartSchema, type MessageContent } from '../core/messages';
import { modelSupportsVision } from '../llm/model-capabilities';

/** Largest task text or content accepted, in bytes of JSON; Temporal refuses payloads over 2 MB. */
export const MAX_TASK_CONTENT_BYTES = 1024 * 1024;
const MAX_TASK_ID_LENGTH = 200;

/** Options of `zap.executeTask`. */
export interface ExecuteTaskOptions<TContext = unknown> {
  /** Agent of a new task. Required unless `followUpOnTask` is given. */
  agentName?: string;
  /** The request as text. `task` or `taskContent` is required. */
  task?: string;
  /** The request as content parts (text and images); wins over `task`. */
  taskContent?: MessageContent;
  /** Sends the message as a follow-up to this existing task instead of starting one. */
  followUpOnTask?: string;
  /** JSON context for dynamic prompts and tools. Must be plain JSON. */
  context?: TContext;
  /** Tool calls that need a human decision before they run (inherited by sub-agents by default). */
  approvalRules?: ApprovalRules;
  /** Your own task id: makes the call idempotent (same id → same task). @default `<agentName>-<hex>` */
  taskId?: string;
}

/** A validated {@link ExecuteTaskOptions}. */
export type TaskRequest<TContext> =
  | { kind: 'follow-up'; taskId: string; content: MessageContent }
  | {
      kind: 'new';
      agent: ZapAgent<TContext>;
      content: MessageContent;
      context: JsonValue | undefined;
      taskId: string | undefined;
      approvalRules: ApprovalRules | undefined;
    };

/** Checks an `executeTask` call before anything is sent to Temporal. */
export function validateTaskRequest<TContext>(
  options: ExecuteTaskOptions<TContext>,
  agents: ReadonlyMap<string, ZapAgent<TContext>>,
): TaskRequest<TContext> {
  if (!options || typeof options !== 'object') {
    throw new ZapValidationError({ message: 'executeTask needs an options object.' });
  }
  const content = readContent(options);

  if (options.followUpOnTask !== undefined) {
    if (typeof options.followUpOnTask !== 'string' || options.followUpOnTask.trim() === '') {
      throw new ZapValidationError({ message: 'followUpOnTask must be a task id.' });
    }
    return { kind: 'follow-up', taskId: options.followUpOnTask, content };
  }

  if (typeof options.agentName !== 'string' || options.agentName === '') {
    throw new ZapValidationError({
      message: 'executeTask needs `agentName` for a new task (or `followUpOnTask` for a follow-up).',
    });
  }
  const agent = agents.get(options.agentName);
  if (!agent) throw new AgentNotFoundError({ agentName: options.agentName, knownAgents: [...agents.keys()] });
  assertVisionSupported(agent, content);

  if (options.context !== undefined) {
    const problem = findNonJsonValue(options.context, 'context');
    if (problem) throw new ZapValidationError({ message: `The task context must be plain JSON: ${problem}.` });
  }
  if (options.taskId !== undefined) {
    if (typeof options.taskId !== 'string' || options.taskId.trim() === '' || options.taskId.length > MAX_TASK_ID_LENGTH) {
      throw new ZapValidationError({
        message: `taskId must be a non-empty string of at most ${MAX_TASK_ID_LENGTH} characters.`,
      });
    }
  }
  if (options.approvalRules !== undefined && !(options.approvalRules instanceof ApprovalRules)) {
    throw new ZapValidationError({
      message: 'approvalRules must be an ApprovalRules instance (new ApprovalRules({ patterns })).',
    });
  }
  return {
    kind: 'new',
    agent,
    content,
    context: options.context as JsonValue | undefined,
    taskId: options.taskId,
    approvalRules: options.approvalRules,
  };
}

/** `VisionNotSupportedError` when the content has images and the agent's model cannot see. */
export function assertVisionSupported(agent: ZapAgent<any>, content: MessageContent): void {
  if (typeof content === 'string') return;
  const hasImage = content.some((part) => part.type === 'image_url');
  if (hasImage && !modelSupportsVision(agent.model, agent.supportsVision)) {
    throw new VisionNotSupportedError({ agentName: agent.name, model: agent.model });
  }
}

function readContent(options: ExecuteTaskOptions<unknown>): MessageContent {
  let content: MessageContent;
  if (options.taskContent !== undefined) {
    const parsed = z.union([z.string(), z.array(contentPartSchema)]).safeParse(options.taskContent);
    if (!parsed.success) {
      throw new ZapValidationError({ message: `taskContent is invalid: ${z.prettifyError(parsed.error)}` });
    }
    content = parsed.data;
    if (typeof content !== 'string') validateContentParts(content);
  } else if (options.task !== undefined) {
    if (typeof options.task !== 'string') throw new ZapValidationError({ message: 'task must be a string.' });
    content = options.task;
  } else {
    throw new ZapValidationError({ message: 'executeTask needs `task` (text) or `taskContent` (content parts).' });
  }
  const empty = typeof content === 'string' ? content.trim() === '' : content.length === 0;
  if (empty) throw new ZapValidationError({ message: 'The task text is empty.' });
  const bytes = Buffer.byteLength(JSON.stringify(content));
  if (bytes > MAX_TASK_CONTENT_BYTES) {
    throw new ZapValidationError({
      message: `The task content is ${bytes} bytes; the limit is ${MAX_TASK_CONTENT_BYTES} (Temporal payloads are capped at 2 MB). ` +
        'Pass large files by URL or through a tool.',
    });
  }
  return content;
}
