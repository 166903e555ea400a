import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { TaskClosedError, TaskNotFoundError, ZapValidationError } from '../core/errors';
import type { MessageContent } from '../core/messages';
import type { TaskSnapshot } from '../core/task-snapshot';
import {
  TASK_STATE_SCHEMA_VERSION,
  initialTaskState,
  upgradeWorkflowInput,
  type AgentWorkflowInput,
  type ApprovalRecord,
  type CarriedTaskState,
} from '../core/task-state';
import { TaskStatus } from '../core/task-status';
import type { agentWorkflow } from '../workflows/agent-workflow';
import { AGENT_WORKFLOW_TYPE } from '../workflows/definitions';
import { taskStartAttributes } from './task-start';

/** What {@link retryFailedTask} needs. */
export interface RetryFailedTaskInput {
  client: Client;
  namespace: string;
  taskId: string;
  /** The failed task's state, read from its workflow (conversation included). */
  snapshot: TaskSnapshot;
  /** A follow-up to answer on the retried task; without one, the failed request is tried again. */
  message?: MessageContent;
  /** True when the namespace has the zap-agents search attributes: the new run carries them. @default false */
  searchAttributes?: boolean;
}

/**
 * Takes a failed task up again: a new run of the same workflow id that carries the failed run's
 * conversation, usage, approval log and event numbering, and continues the request that failed
 * (its model call is made again) or answers `message`. Only failed tasks qualify: a completed or
 * running task takes follow-ups, a cancelled one stays cancelled.
 */
export async function retryFailedTask(input: RetryFailedTaskInput): Promise<void> {
  const { client, namespace, taskId, snapshot } = input;
  const description = await client.workflow.getHandle(taskId).describe();
  if (description.status.name !== 'FAILED') {
    if (description.status.name === 'RUNNING') {
      throw new ZapValidationError({ message: `Task '${taskId}' has not failed (it is ${snapshot.status}); send it a follow-up instead.` });
    }
    throw new TaskClosedError({ taskId, reason: `its workflow is ${description.status.name.toLowerCase()}, not failed` });
  }
  const previous = upgradeWorkflowInput(await firstRunInput(client, namespace, taskId, description.runId));
  const base = previous.carried ?? initialTaskState(previous);
  const carried: CarriedTaskState = {
    ...base,
    messages: snapshot.history,
    status: TaskStatus.Thinking,
    result: snapshot.result,
    modelCallDue: input.message === undefined,
    iteration: 0,
    pendingMessages: input.message === undefined ? [] : [input.message],
    // Durable events go on from where the failed run stopped, so streams resume with `since`.
    eventLog: { events: [], lastSeq: snapshot.lastEventSeq },
    usage: snapshot.usage,
    updatedAt: new Date().toISOString(),
    runCount: base.runCount + 1,
    previousModelCallCount: 0,
    // The approval log goes on; requests still pending when the run failed died with its turn.
    approvals: snapshot.approvals.flatMap(({ decision, reason, decidedBy, decidedAt, ...request }): ApprovalRecord[] =>
      decision && decidedAt ? [{ request, decision: { decision, reason, decidedBy, decidedAt } }] : [],
    ),
    // Named events still kept when the run failed (those its waits took stay taken).
    receivedEvents: snapshot.receivedEvents ?? [],
    // The output of the last valid answer stays; the request that failed its schema starts its repairs afresh.
    outputRepairs: 0,
  };
  delete carried.cancelReason;
  delete carried.idleSince;
  delete carried.outputFailure;
  if (snapshot.output === undefined) delete carried.output;
  else carried.output = snapshot.output;
  const nextInput: AgentWorkflowInput = {
    ...previous,
    schemaVersion: TASK_STATE_SCHEMA_VERSION,
    searchAttributes: input.searchAttributes ?? false,
    // A scheduled run's first input left its id and creation time to the workflow: give the real ones.
    ...(previous.taskIdFromWorkflowId ? { taskId, createdAt: snapshot.createdAt, taskIdFromWorkflowId: false } : {}),
    carried,
  };
  await client.workflow.start<typeof agentWorkflow>(AGENT_WORKFLOW_TYPE, {
    taskQueue: description.taskQueue,
    workflowId: taskId,
    args: [nextInput],
    // Only a failed run may be followed by a new one under the same id.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    // The same owner, agent and creation time as before (listing and the tenant check read them).
    ...taskStartAttributes(nextInput, TaskStatus.Thinking),
  });
}

/** The workflow input of a run, read from its first history event (one small page). */
export async function firstRunInput(client: Client, namespace: string, taskId: string, runId: string): Promise<AgentWorkflowInput> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace,
    execution: { workflowId: taskId, runId },
    maximumPageSize: 1,
  });
  const payloads = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  if (!payloads?.length) throw new TaskNotFoundError({ taskId, message: `Task '${taskId}' has no readable start input.` });
  return decodeFromPayloadsAtIndex<AgentWorkflowInput>(client.options.loadedDataConverter, 0, payloads);
}
