import { z } from 'zod';
import { MAX_TASK_CONTENT_BYTES } from '../../src/client/task-request';
import {
  AgentNotFoundError,
  NoWorkerError,
  ApprovalRules,
  TaskClosedError,
  TaskNotFoundError,
  Zap,
  ZapAgent,
  ZapConfigurationError,
  ZapConnectionError,
  ZapError,
  ZapNotStartedError,
  ZapValidationError,
  tool,
  type Task,
} from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion, waitForTask, type Harness } from '../support/harness';

let multiplyRuns = 0;
const multiply = tool({
  name: 'multiply',
  description: 'Multiplies two numbers',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => {
    multiplyRuns += 1;
    return String(a * b);
  },
});

const assistant = new ZapAgent({
  name: 'Assistant',
  prompt: 'You are a test assistant.',
  model: 'scripted-model',
  tools: [multiply],
  retry: { tool: { maximumAttempts: 1 } },
});

/** Rejects with `type`, and with a message matching `message`. */
async function expectTypedError(promise: Promise<unknown>, type: { isInstance(error: unknown): boolean }, message: RegExp): Promise<ZapError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeDefined();
  expect({ type: (caught as Error).name, isInstance: type.isInstance(caught) }).toEqual({ type: (caught as Error).name, isInstance: true });
  expect((caught as Error).message).toMatch(message);
  return caught as ZapError;
}

/** The parts of a task that a bad call must not change. */
function stateOf(task: Task) {
  return {
    status: task.status,
    result: task.result,
    error: task.error,
    history: task.history,
    lastEventSeq: task.lastEventSeq,
    updatedAt: task.updatedAt.toISOString(),
  };
}

describe('bad input gives typed errors and leaves tasks intact', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [assistant] });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => harness.llm.reset());

  /** A valid task on the same Zap still runs to completion. */
  async function expectZapStillWorks(): Promise<void> {
    const before = harness.llm.requestCount();
    harness.llm.enqueue(scripted.text('still working'));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Are you still working?' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('still working');
    expect(harness.llm.requestCount()).toBe(before + 1);
  }

  /** Nothing was started under this id. */
  async function expectNoTask(taskId: string): Promise<void> {
    await expect(harness.zap.getTask(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
  }

  test('an unknown agent → AgentNotFoundError naming the known agents', async () => {
    const { zap } = harness;
    const taskId = `Nobody-${Date.now()}`;
    await expectTypedError(zap.executeTask({ agentName: 'Nobody', task: 'hi', taskId }), AgentNotFoundError, /Agent 'Nobody' is not registered\. Known agents: Assistant\./);
    await expectTypedError(zap.streamTask({ agentName: 'Nobody', task: 'hi' }).next(), AgentNotFoundError, /Nobody/);
    expect(() => zap.getAgent('Nobody')).toThrow(AgentNotFoundError);
    await expectTypedError(zap.getAgentTools('Nobody'), AgentNotFoundError, /Nobody/);
    expect(harness.llm.requestCount()).toBe(0);
    await expectNoTask(taskId);
    await expectZapStillWorks();
  });

  test('a missing, empty or malformed task → ZapValidationError', async () => {
    const { zap } = harness;
    const taskId = `Assistant-empty-${Date.now()}`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ agentName: 'Assistant', taskId }, /needs `task` \(text\) or `taskContent`/],
      [{ agentName: 'Assistant', task: '', taskId }, /The task text is empty/],
      [{ agentName: 'Assistant', task: ' \n\t ', taskId }, /The task text is empty/],
      [{ agentName: 'Assistant', task: 42, taskId }, /task must be a string/],
      [{ agentName: 'Assistant', taskContent: [], taskId }, /The task text is empty/],
      [{ agentName: 'Assistant', taskContent: [{ type: 'video', url: 'x' }], taskId }, /taskContent is invalid/],
      [{ task: 'no agent' }, /needs `agentName` for a new task/],
      [{ agentName: 'Assistant', task: 'hi', taskId: '' }, /taskId must be a non-empty string/],
    ];
    for (const [options, message] of cases) {
      await expectTypedError(zap.executeTask(options as never), ZapValidationError, message);
    }
    await expectTypedError(zap.executeTask(undefined as never), ZapValidationError, /needs an options object/);
    expect(harness.llm.requestCount()).toBe(0);
    await expectNoTask(taskId);
    await expectZapStillWorks();
  });

  test('a context that is not plain JSON → ZapValidationError saying where', async () => {
    class Customer {
      constructor(readonly id: string) {}
    }
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const taskId = `Assistant-context-${Date.now()}`;
    const cases: Array<[unknown, RegExp]> = [
      [{ when: new Date() }, /context\.when is an instance of Date/],
      [{ customer: new Customer('c-1') }, /context\.customer is an instance of Customer, not a plain object/],
      [{ callback: () => 'x' }, /context\.callback is a function/],
      [cycle, /context\.self is a circular reference/],
      [{ big: BigInt(1) }, /context\.big is a bigint/],
      [{ ratio: Number.NaN }, /context\.ratio is NaN/],
      [{ list: [1, new Map()] }, /context\.list\[1\] is an instance of Map/],
    ];
    for (const [context, message] of cases) {
      const error = await expectTypedError(
        harness.zap.executeTask({ agentName: 'Assistant', task: 'hi', context, taskId }),
        ZapValidationError,
        /The task context must be plain JSON/,
      );
      expect(error.message).toMatch(message);
    }
    expect(harness.llm.requestCount()).toBe(0);
    await expectNoTask(taskId);
    await expectZapStillWorks();
  });

  test('invalid ApprovalRules → ZapValidationError at construction', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ patterns: [] }, /needs `patterns`, `conditions` or `requiresApproval`/],
      [{}, /needs `patterns`, `conditions` or `requiresApproval`/],
      [{ conditions: [{ tool: 'refund', when: { arg: 'amount', gt: 'a lot' } }] }, /conditions\[0\]\.when\.gt must be a finite number/],
      [{ patterns: ['x'], onTimeout: 'shrug' }, /onTimeout must be one of/],
      [{ patterns: ['transfer funds'] }, /pattern "transfer funds" is invalid/],
      [{ patterns: ['drop;table'] }, /pattern "drop;table" is invalid/],
      [{ patterns: ['ok_*', ''] }, /pattern "" is invalid/],
      [{ patterns: [42] }, /pattern 42 is invalid/],
      [{ patterns: ['delete_*'], timeout: 'forever' }, /timeout "forever" is not a positive duration/],
      [{ patterns: ['delete_*'], timeout: '-5 minutes' }, /is not a positive duration/],
      [{ patterns: ['delete_*'], timeout: 0 }, /timeout 0 is not a positive duration/],
      [{ patterns: ['delete_*'], timeout: '3 fortnights' }, /is not a positive duration/],
    ];
    for (const [options, message] of cases) {
      const build = (): unknown => new ApprovalRules(options as never);
      expect(build).toThrow(ZapValidationError);
      expect(build).toThrow(message);
    }
    // Rules that are not an ApprovalRules instance are refused before anything starts.
    const taskId = `Assistant-rules-${Date.now()}`;
    await expectTypedError(
      harness.zap.executeTask({ agentName: 'Assistant', task: 'hi', taskId, approvalRules: { patterns: ['*'] } as never }),
      ZapValidationError,
      /approvalRules must be an ApprovalRules instance/,
    );
    await expectNoTask(taskId);
    await expectZapStillWorks();
  });

  test('task content beyond MAX_TASK_CONTENT_BYTES → ZapValidationError, for new tasks and follow-ups', async () => {
    const { zap } = harness;
    const huge = 'x'.repeat(MAX_TASK_CONTENT_BYTES + 1);
    const taskId = `Assistant-huge-${Date.now()}`;
    const limit = new RegExp(`the limit is ${MAX_TASK_CONTENT_BYTES}`);
    await expectTypedError(zap.executeTask({ agentName: 'Assistant', task: huge, taskId }), ZapValidationError, limit);
    await expectTypedError(
      zap.executeTask({ agentName: 'Assistant', taskContent: [{ type: 'text', text: huge }], taskId }),
      ZapValidationError,
      limit,
    );
    await expectNoTask(taskId);

    // A follow-up that is too large leaves the existing task as it was.
    harness.llm.enqueue(scripted.text('small answer'));
    const existing = await waitForCompletion(zap, (await zap.executeTask({ agentName: 'Assistant', task: 'small' })).id);
    await expectTypedError(zap.executeTask({ followUpOnTask: existing.id, task: huge }), ZapValidationError, limit);
    expect(stateOf(await zap.getTask(existing.id))).toEqual(stateOf(existing));
    expect(harness.llm.requestCount()).toBe(1);
    await expectZapStillWorks();
  });

  test('malformed tool-call JSON is fed back to the model as an error and the task completes', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_bad', name: 'multiply', arguments: '{"a": 6, "b":' }]),
      scripted.toolCalls([{ id: 'call_good', name: 'multiply', arguments: { a: 6, b: 7 } }]),
      scripted.text('42'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Multiply 6 by 7' });
    const task = await waitForCompletion(harness.zap, started.id);
    const [bad, good] = task.getToolCalls();
    expect(bad?.result).toMatch(/^Error: the arguments of multiply are not valid JSON/);
    expect(good?.result).toBe('42');
    expect(harness.llm.requests[1]?.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_bad', content: bad?.result });
    expect(task.result).toBe('42');
    await expectZapStillWorks();
  });

  test('an unknown tool gets an error result listing the available tools', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_teleport', name: 'teleport', arguments: { to: 'Mars' } }]), scripted.text('I cannot teleport.'));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Teleport me' });
    const task = await waitForCompletion(harness.zap, started.id);
    const [call] = task.getToolCalls();
    expect(call?.result).toMatch(/Unknown tool 'teleport'\. Available tools: .*multiply/);
    expect(harness.llm.requests[1]?.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_teleport' });
    expect(task.result).toBe('I cannot teleport.');
    await expectZapStillWorks();
  });

  test('tool arguments failing the zod schema go back to the model; the tool does not run', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_type', name: 'multiply', arguments: { a: 'six', b: 7 } },
        { id: 'call_missing', name: 'multiply', arguments: { a: 6 } },
      ]),
      scripted.text('I passed bad arguments.'),
    );
    const runsBefore = multiplyRuns;
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Multiply badly' });
    const task = await waitForCompletion(harness.zap, started.id);
    const [wrongType, missing] = task.getToolCalls();
    expect(wrongType?.result).toMatch(/^Error: Invalid arguments for multiply/);
    expect(wrongType?.result).toContain('a');
    expect(missing?.result).toMatch(/^Error: Invalid arguments for multiply/);
    expect(missing?.result).toContain('b');
    expect(task.status).toBe('completed');
    expect(multiplyRuns).toBe(runsBefore);
    await expectZapStillWorks();
  });

  test('follow-up, cancel and approval calls on unknown task ids → TaskNotFoundError', async () => {
    const { zap } = harness;
    const missing = `Assistant-missing-${Date.now()}`;
    await expectTypedError(zap.getTask(missing), TaskNotFoundError, new RegExp(`Task '${missing}' was not found`));
    await expectTypedError(zap.executeTask({ followUpOnTask: missing, task: 'hello?' }), TaskNotFoundError, new RegExp(missing));
    await expectTypedError(zap.cancelTask(missing, 'no reason'), TaskNotFoundError, new RegExp(missing));
    await expectTypedError(zap.approve(missing, 'approval-1'), TaskNotFoundError, new RegExp(missing));
    await expectTypedError(zap.reject(missing, 'approval-1', 'no'), TaskNotFoundError, new RegExp(missing));
    await expectTypedError(zap.getPendingApprovals(missing), TaskNotFoundError, new RegExp(missing));
    await expectNoTask(missing);
    expect(harness.llm.requestCount()).toBe(0);
    await expectZapStillWorks();
  });

  test('cancelling a failed task, or following up on a cancelled one → TaskClosedError; both tasks unchanged', async () => {
    const { zap } = harness;
    harness.llm.enqueue(scripted.error(400, 'The model does not exist'));
    const started = await zap.executeTask({ agentName: 'Assistant', task: 'This will fail' });
    const failed = await waitForTask(zap, started.id, (task) => task.status === 'failed');
    expect(failed.error).toContain('The model does not exist');
    await expectTypedError(zap.cancelTask(failed.id), TaskClosedError, /is closed: its workflow is failed/);
    expect(stateOf(await zap.getTask(failed.id))).toEqual(stateOf(failed));

    harness.llm.enqueue(scripted.text('Answered.'));
    const answered = await zap.executeTask({ agentName: 'Assistant', task: 'Answer, then be cancelled' });
    await waitForTask(zap, answered.id, (task) => task.status === 'completed');
    await zap.cancelTask(answered.id, 'no more');
    const cancelled = await waitForTask(zap, answered.id, (task) => task.status === 'cancelled');
    const closed = await expectTypedError(
      zap.executeTask({ followUpOnTask: cancelled.id, task: 'Try again' }),
      TaskClosedError,
      new RegExp(`Task '${cancelled.id}' is closed: it is cancelled`),
    );
    expect(closed).toMatchObject({ code: 'TASK_CLOSED', taskId: cancelled.id });
    expect(stateOf(await zap.getTask(cancelled.id))).toEqual(stateOf(cancelled));
    expect(harness.llm.requestCount()).toBe(2);
    await expectZapStillWorks();
  });
});

describe('bad configuration and environment', () => {
  test('an MCP server that does not start → ZapConfigurationError at worker start, naming the command', async () => {
    const zap = new Zap({
      agents: [
        new ZapAgent({
          name: 'Broken',
          prompt: 'p',
          mcpClients: [{ name: 'ghost', command: '/nonexistent/zap-mcp-server', args: ['--serve'] }],
        }),
      ],
      taskQueue: uniqueTaskQueue('bad-input'),
      temporal: { address: temporalAddress() },
    });
    try {
      const error = await expectTypedError(zap.createWorker(testWorkerOptions()), ZapConfigurationError, /\/nonexistent\/zap-mcp-server/);
      expect(error.message).toMatch(/ghost/);
      // No worker could start, so none published the agent's MCP tools; the client starts no MCP server itself.
      await expectTypedError(zap.getAgentTools('Broken'), NoWorkerError, /MCP tools of agent 'Broken'/);
    } finally {
      await zap.stop();
    }
  });

  test('Temporal unreachable → ZapConnectionError naming the address; nothing runs before start()', async () => {
    const zap = new Zap({
      agents: [assistant],
      taskQueue: uniqueTaskQueue('bad-input'),
      temporal: { address: '127.0.0.1:1', connectTimeout: '2 seconds' },
    });
    try {
      await expectTypedError(zap.executeTask({ agentName: 'Assistant', task: 'hi' }), ZapNotStartedError, /zap\.start\(\)/);
      const error = await expectTypedError(zap.start(), ZapConnectionError, /127\.0\.0\.1:1/);
      expect(error.message).toMatch(/Could not connect to Temporal at 127\.0\.0\.1:1 \(namespace 'default'\)/);
      await expectTypedError(zap.createWorker(testWorkerOptions()), ZapConnectionError, /127\.0\.0\.1:1/);
      await expectTypedError(zap.getTask('Assistant-anything'), ZapNotStartedError, /zap\.start\(\)/);
    } finally {
      await zap.stop();
    }
  });
});
