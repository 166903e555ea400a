import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { ZapAgent } from '../agent/zap-agent';
import { MAX_EVENT_DATA_BYTES } from '../core/defaults';
import {
  AgentNotFoundError,
  EventValidationError,
  TaskClosedError,
  TaskNotFoundError,
  UnknownEventError,
} from '../core/errors';
import { findNonJsonValue, type JsonValue } from '../core/json';
import { utf8ByteLength } from '../core/message-pages';
import { deliverEventUpdate, type DeliverEventInput, type DeliverEventResult } from '../workflows/definitions';
import { assertStarted } from './delayed-start';
import { errorFromFailure } from './error-from-failure';
import { describeWorkflowStatus } from './task-reader';

/** Options of `zap.sendEvent`. */
export interface SendEventOptions {
  /**
   * Your id of this delivery, kept with the event and used as the Temporal update id: sending
   * again with the same id (a retry after a lost answer) while the task is in the same run is
   * answered from the first delivery instead of delivering twice.
   * @default none: every call is a new delivery
   */
  eventId?: string;
}

/** What `zap.sendEvent` resolves with. */
export type SendEventResult = DeliverEventResult;

/** What {@link sendTaskEvent} needs. */
export interface SendTaskEventInput {
  client: Client;
  /** The Zap's agents: the task's agent declares the event and its schema. */
  agents: ReadonlyMap<string, ZapAgent<any>>;
  /** The task's agent name when its workflow memo lacks it (the cheap status query). */
  agentNameOf: (taskId: string) => Promise<string>;
  taskId: string;
  name: string;
  data: unknown;
  options?: SendEventOptions;
}

/**
 * Delivers a named event to a running task: finds the task's agent (workflow memo), checks that
 * it declares the event (`UnknownEventError`), validates the data against the event's zod schema
 * and size limit (`EventValidationError`), then runs the `deliverEvent` update, whose validator
 * checks the name and limits again inside the task, so a bad delivery never enters history.
 */
export async function sendTaskEvent(input: SendTaskEventInput): Promise<SendEventResult> {
  const { client, agents, taskId, name, options = {} } = input;
  const handle = client.workflow.getHandle(taskId);
  const agentName = await runningTaskAgentName(handle, taskId, input.agentNameOf);
  const agent = agents.get(agentName);
  if (!agent) throw new AgentNotFoundError({ agentName, knownAgents: [...agents.keys()] });
  const declared = typeof name === 'string' ? agent.events.get(name) : undefined;
  if (!declared) {
    throw new UnknownEventError({ taskId, eventName: String(name), agentName, declaredEvents: [...agent.events.keys()] });
  }
  const parsed = declared.schema.safeParse(input.data);
  if (!parsed.success) {
    throw new EventValidationError({
      taskId,
      eventName: name,
      issues: parsed.error.issues,
      message: `Event '${name}' for task '${taskId}' does not match its schema:\n${z.prettifyError(parsed.error)}`,
    });
  }
  const data = checkedJson(parsed.data, taskId, name);
  const delivery: DeliverEventInput = { name, data, ...(options.eventId !== undefined ? { eventId: options.eventId } : {}) };
  try {
    return await handle.executeUpdate(deliverEventUpdate, {
      args: [delivery],
      ...(options.eventId !== undefined ? { updateId: options.eventId } : {}),
    });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      // UNKNOWN_EVENT, EVENT_VALIDATION, EVENT_BUFFER_FULL from the update validator.
      const mapped = errorFromFailure(error, { taskId, eventName: name, agentName });
      if (mapped) throw mapped;
    }
    if (error instanceof WorkflowNotFoundError) {
      const status = await describeWorkflowStatus(handle);
      if (status === undefined) throw new TaskNotFoundError({ taskId, cause: error });
      throw new TaskClosedError({ taskId, reason: `its workflow is ${status.toLowerCase()}`, cause: error });
    }
    throw error;
  }
}

/** The agent of a task that still runs; `TaskNotFoundError` / `TaskClosedError` otherwise. */
async function runningTaskAgentName(
  handle: WorkflowHandle,
  taskId: string,
  agentNameOf: (taskId: string) => Promise<string>,
): Promise<string> {
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
    throw error;
  }
  const status = description.status.name;
  if (status !== 'RUNNING') throw new TaskClosedError({ taskId, reason: `its workflow is ${status.toLowerCase()}` });
  assertStarted(taskId, description, 'send the event');
  const fromMemo = description.memo?.agentName;
  return typeof fromMemo === 'string' && fromMemo !== '' ? fromMemo : agentNameOf(taskId);
}

/** The parsed data as JSON within the size limit, or `EventValidationError`. */
function checkedJson(data: unknown, taskId: string, eventName: string): JsonValue {
  const problem = findNonJsonValue(data);
  if (problem !== undefined) {
    throw new EventValidationError({
      taskId,
      eventName,
      issues: [{ code: 'invalid_type', path: [], message: `The data must be JSON: ${problem}.` }],
      message: `Event '${eventName}' for task '${taskId}' has data that is not JSON: ${problem}.`,
    });
  }
  const bytes = utf8ByteLength(JSON.stringify(data));
  if (bytes > MAX_EVENT_DATA_BYTES) {
    const message = `The data is ${bytes} bytes of JSON; an event carries at most ${MAX_EVENT_DATA_BYTES}.`;
    throw new EventValidationError({
      taskId,
      eventName,
      issues: [{ code: 'too_big', path: [], message }],
      message: `Event '${eventName}' for task '${taskId}' is too large: ${message}`,
    });
  }
  return data as JsonValue;
}
