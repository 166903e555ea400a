/** `task.stuckError`: the typed `AgentStuckError` of a task stuck detection failed, built from its snapshot like `outputError`. */
import { Task, type TaskOperations } from '../../src/client/task';
import { AgentStuckError } from '../../src/core/errors';
import type { TaskSnapshot } from '../../src/core/task-snapshot';
import { TaskStatus } from '../../src/core/task-status';

describe('task.stuckError', () => {
  const operations = {} as TaskOperations;
  const snapshot = (overrides: Partial<TaskSnapshot>): TaskSnapshot => ({
    taskId: 't-1',
    agentName: 'Looper',
    status: TaskStatus.Failed,
    history: [],
    messageCount: 0,
    subTasks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    pendingApprovals: [],
    approvals: [],
    lastEventSeq: 0,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...overrides,
  });

  test('is an AgentStuckError with the finding, the task, its agent and the task\'s error as message', () => {
    const error = 'Agent \'Looper\' is stuck: it called lookup with the same arguments 2 times in a row. The escalation was rejected by bob.';
    const task = new Task(
      snapshot({
        error,
        stuckFailure: { reason: 'repeated_call', toolName: 'lookup', repeats: 2, escalation: { decision: 'rejected', decidedBy: 'bob' } },
      }),
      operations,
    );
    expect(task.stuckError).toBeInstanceOf(AgentStuckError);
    expect(AgentStuckError.isInstance(task.stuckError)).toBe(true);
    expect(task.stuckError).toMatchObject({
      code: 'AGENT_STUCK',
      reason: 'repeated_call',
      toolName: 'lookup',
      repeats: 2,
      taskId: 't-1',
      agentName: 'Looper',
      escalation: { decision: 'rejected', decidedBy: 'bob' },
      message: error,
    });
  });

  test('has the default message without an error, and is undefined for other failures and for a task taken up again', () => {
    const stuckFailure = { reason: 'no_progress', toolName: 'search', repeats: 3 } as const;
    expect(new Task(snapshot({ stuckFailure }), operations).stuckError?.message).toBe(
      "Agent 'Looper' is stuck: its last 3 iterations of tool calls (search) returned the same results.",
    );
    expect(new Task(snapshot({ error: 'boom' }), operations).stuckError).toBeUndefined();
    expect(new Task(snapshot({ status: TaskStatus.Thinking, stuckFailure }), operations).stuckError).toBeUndefined();
  });
});
