/**
 * Live upgrade: tasks left open by a worker running the released code (0.1.0, extracted from git)
 * finish correctly on a worker running the current code. The released worker bundles its own
 * workflow code and the released client starts the tasks, so the histories, workflow inputs and
 * carried state the current worker meets are exactly what 0.1.0 wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Task, Zap } from '../../src';
import { scripted, ScriptedLlmServer, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { waitUntil } from '../fixtures/faults/activity-history';
import { readEffects } from '../fixtures/faults/effects';
import { createUpgradeZap } from '../fixtures/upgrade/current/upgrade-zap';
import {
  RELEASED_VERSION,
  installReleasedFixtures,
  materialiseReleasedTree,
  runReleasedScript,
  spawnReleasedWorker,
  typeCheckReleasedFixtures,
} from '../fixtures/upgrade/released-tree';
import {
  UPGRADE_AGENTS,
  UPGRADE_ENVIRONMENT,
  UPGRADE_TASK_MESSAGES,
  UPGRADE_TASKS_STARTED_LINE,
  type UpgradeTaskIds,
} from '../fixtures/upgrade/scenario';
import { activityWorkers, fetchWorkflowRuns, workflowTaskWorkers } from '../fixtures/upgrade/workflow-runs';
import { AgentRouter } from '../support/agent-router';
import { temporalAddress, uniqueTaskQueue, waitForTask } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

/** Extraction, the released worker's webpack bundle, two worker generations and four tasks. */
const UPGRADE_TEST_TIMEOUT_MS = 120_000;
/** How long a task may take to reach a state (the released worker may still be bundling). */
const STATE_TIMEOUT_MS = 45_000;
const START_TASKS_TIMEOUT_MS = 45_000;

const { assistant, finance, manager, treasurer, chronicler } = UPGRADE_AGENTS;
/** Names of worker generations in the expected activity and workflow-task sequences. */
const RELEASED = 'released';
const CURRENT = 'current';

describe(`live upgrade from zap-agents ${RELEASED_VERSION} to the current code`, () => {
  const taskQueue = uniqueTaskQueue('upgrade');
  const taskIds: UpgradeTaskIds = {
    idle: `${taskQueue}-idle`,
    approval: `${taskQueue}-approval`,
    delegation: `${taskQueue}-delegation`,
    continued: `${taskQueue}-continued`,
  };
  /** The treasurer's task started by the manager (`<taskId>.<agent>.<n>`). */
  const childId = `${taskIds.delegation}.${treasurer.name}.1`;
  const router = new AgentRouter();
  let llm: ScriptedLlmServer;
  /** The test's client runs the current code: clients upgrade too. */
  let client: Zap;
  let effectsDirectory: string;
  let releasedWorker: WorkerProcess | undefined;
  let currentWorker: WorkerProcess | undefined;
  let finished = false;

  beforeAll(async () => {
    effectsDirectory = mkdtempSync(join(tmpdir(), 'zap-upgrade-'));
    llm = await ScriptedLlmServer.start({ handler: router.handler });
    client = createUpgradeZap({ taskQueue, temporalAddress: temporalAddress() });
    await client.start();
  });

  afterAll(async () => {
    if (!finished) {
      // Worker output explains most failures of a test that spans processes.
      console.error(
        `released worker output:\n${releasedWorker?.output() ?? '(not started)'}\n` +
          `current worker output:\n${currentWorker?.output() ?? '(not started)'}`,
      );
    }
    await releasedWorker?.stop('SIGKILL');
    await currentWorker?.stop('SIGKILL');
    // Tasks stay open for follow-ups; end them so nothing of this test outlives it.
    await Promise.all(
      [...Object.values(taskIds), childId].map((workflowId) =>
        client.client.workflow
          .getHandle(workflowId)
          .terminate('live-upgrade test finished')
          .catch(() => undefined),
      ),
    );
    await client?.stop();
    await llm?.close();
    if (effectsDirectory) rmSync(effectsDirectory, { recursive: true, force: true });
  });

  test(
    'tasks left open by a 0.1.0 worker finish on the current worker',
    async () => {
      const effectsFile = join(effectsDirectory, 'effects.jsonl');
      const environment = {
        [UPGRADE_ENVIRONMENT.taskQueue]: taskQueue,
        [UPGRADE_ENVIRONMENT.temporalAddress]: temporalAddress(),
        [UPGRADE_ENVIRONMENT.effectsFile]: effectsFile,
        OPENAI_BASE_URL: llm.baseURL,
        OPENAI_API_KEY: 'upgrade-test-key',
      };

      // The released code, from git, with the fixtures written against its API.
      const tree = await materialiseReleasedTree();
      const releasedFixtures = installReleasedFixtures(tree);

      // Before the upgrade: answers of the released worker (the rest is scripted after it stopped).
      router.enqueue(assistant.prompt, scripted.text('Hello from before the upgrade.'));
      router.enqueue(finance.prompt, scripted.toolCalls([{ id: 'call_pay', name: 'transfer_funds', arguments: { amount: 50, to: 'ACME' } }]));
      router.enqueue(
        manager.prompt,
        scripted.toolCalls([{ id: 'call_delegate', name: 'message_agent', arguments: { agent_name: treasurer.name, message: 'Move 70 to Globex.' } }]),
      );
      router.enqueue(treasurer.prompt, scripted.toolCalls([{ id: 'call_move', name: 'transfer_funds', arguments: { amount: 70, to: 'Globex' } }]));
      router.enqueue(
        chronicler.prompt,
        scripted.toolCalls([{ id: 'call_d1', name: 'note_step', arguments: { label: 'd1' } }]),
        scripted.toolCalls([{ id: 'call_d2', name: 'note_step', arguments: { label: 'd2' } }]),
        scripted.text('Chronicle started.'),
      );

      // The released worker (bundling its own workflows) and a released client starting the tasks.
      const [typeCheck, workerStart, tasksStart] = await Promise.allSettled([
        typeCheckReleasedFixtures(tree),
        spawnReleasedWorker(tree, `${releasedFixtures}/worker-module.ts`, environment),
        runReleasedScript(
          tree,
          `${releasedFixtures}/start-open-tasks.ts`,
          { ...environment, [UPGRADE_ENVIRONMENT.taskIds]: JSON.stringify(taskIds) },
          START_TASKS_TIMEOUT_MS,
        ),
      ]);
      // Keep the worker before reporting any failure, so that afterAll stops it.
      if (workerStart.status === 'fulfilled') releasedWorker = workerStart.value;
      for (const outcome of [typeCheck, workerStart, tasksStart]) if (outcome.status === 'rejected') throw outcome.reason;
      const worker = releasedWorker as WorkerProcess;
      const startOutput = (tasksStart as PromiseFulfilledResult<string>).value;
      expect(startOutput).toContain(UPGRADE_TASKS_STARTED_LINE);
      const releasedPid = worker.child.pid as number;

      // Each task really in its state, read by the current client.
      const [idleBefore, approvalBefore, delegationBefore, childBefore, continuedBefore] = await Promise.all([
        waitForTask(client, taskIds.idle, (task) => task.status === 'completed', STATE_TIMEOUT_MS),
        waitForTask(client, taskIds.approval, (task) => task.status === 'awaiting_approval', STATE_TIMEOUT_MS),
        waitForTask(client, taskIds.delegation, (task) => task.status === 'awaiting_tool' && task.subTasks.length === 1, STATE_TIMEOUT_MS),
        waitForTask(client, childId, (task) => task.status === 'awaiting_approval', STATE_TIMEOUT_MS),
        waitForContinuedAsNew(taskIds.continued),
      ]);
      expect(idleBefore.result).toBe('Hello from before the upgrade.');
      expect(delegationBefore.subTasks).toEqual([childId]);
      expect(continuedBefore.result).toBe('Chronicle started.');
      const [paymentApproval] = await approvalBefore.getPendingApprovals();
      expect(paymentApproval).toMatchObject({ toolName: 'transfer_funds', toolArgs: { amount: 50, to: 'ACME' }, taskId: taskIds.approval });
      const [moveApproval] = await childBefore.getPendingApprovals();
      expect(moveApproval).toMatchObject({ toolName: 'transfer_funds', toolArgs: { amount: 70, to: 'Globex' }, taskId: childId });
      expect(requestCounts(llm.requests)).toEqual({ Assistant: 1, Finance: 1, Manager: 1, Treasurer: 1, Chronicler: 3 });
      // Only the chronicler's ungated steps have run.
      expect(readEffects(effectsFile).map((effect) => `${(effect.args as { label?: string }).label}@${effect.pid}`)).toEqual([
        `d1@${releasedPid}`,
        `d2@${releasedPid}`,
      ]);

      // The upgrade: drain the released worker, then start the current one on the same queue.
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(worker.output()).toContain('[zap-worker] stopped');
      currentWorker = await spawnWorker(resolve(__dirname, '../fixtures/upgrade/current/worker-module.ts'), {
        ...environment,
        // The current workflow code, bundled once by global-setup.
        ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
      });
      const currentPid = currentWorker.child.pid as number;

      router.enqueue(
        assistant.prompt,
        scripted.toolCalls([{ id: 'call_a', name: 'note_step', arguments: { label: 'a' } }]),
        scripted.text('Answered after the upgrade.'),
      );
      router.enqueue(finance.prompt, scripted.text('Paid ACME 50.'));
      router.enqueue(treasurer.prompt, scripted.text('Moved 70 to Globex.'), scripted.text('Confirmed: 70 went to Globex.'));
      router.enqueue(
        manager.prompt,
        scripted.toolCalls([{ id: 'call_confirm', name: 'message_agent', arguments: { conversation_id: childId, message: 'Confirm the transfer.' } }]),
        scripted.text('The treasurer moved 70 to Globex and confirmed it.'),
      );
      router.enqueue(
        chronicler.prompt,
        scripted.toolCalls([{ id: 'call_d3', name: 'note_step', arguments: { label: 'd3' } }]),
        scripted.text('Chronicle continued.'),
      );

      // Finish every task through the current client.
      await client.executeTask({ followUpOnTask: taskIds.idle, task: 'What changed?' });
      await client.executeTask({ followUpOnTask: taskIds.continued, task: 'Continue the chronicle.' });
      expect(await client.approve(taskIds.approval, paymentApproval!.id, { approvedBy: 'auditor' })).toEqual({
        approvalId: paymentApproval!.id,
        decision: 'approved',
        alreadyDecided: false,
      });
      await client.approve(childId, moveApproval!.id, { approvedBy: 'auditor' });

      const [idle, approval, delegation, continued] = await Promise.all([
        waitForResult(taskIds.idle, 'Answered after the upgrade.'),
        waitForResult(taskIds.approval, 'Paid ACME 50.'),
        waitForResult(taskIds.delegation, 'The treasurer moved 70 to Globex and confirmed it.'),
        waitForResult(taskIds.continued, 'Chronicle continued.'),
      ]);
      const child = await client.getTask(childId);

      // (a) The follow-up was answered with the whole conversation, the released part included.
      expect(idle.history).toMatchObject([
        { role: 'system', content: assistant.prompt },
        { role: 'user', content: UPGRADE_TASK_MESSAGES.idle },
        { role: 'assistant', content: 'Hello from before the upgrade.' },
        { role: 'user', content: 'What changed?' },
        { role: 'assistant', tool_calls: [{ id: 'call_a', function: { name: 'note_step' } }] },
        { role: 'tool', tool_call_id: 'call_a', content: `noted a (pid ${currentPid})` },
        { role: 'assistant', content: 'Answered after the upgrade.' },
      ]);
      expect(messageContents(requestsOf(assistant.prompt)[1]!)).toEqual([
        assistant.prompt,
        UPGRADE_TASK_MESSAGES.idle,
        'Hello from before the upgrade.',
        'What changed?',
      ]);

      // (b) The approval the released code recorded was decided and logged; the tool ran after it.
      expect(approval.getToolCalls()).toEqual([
        expect.objectContaining({ name: 'transfer_funds', result: `transferred 50 to ACME (pid ${currentPid})` }),
      ]);
      expect(approval.approvals).toEqual([
        expect.objectContaining({
          id: paymentApproval!.id,
          toolName: 'transfer_funds',
          agentName: finance.name,
          decision: 'approved',
          decidedBy: 'auditor',
        }),
      ]);
      expect((await eventsOf(taskIds.approval)).map((event) => event.type)).toEqual([
        'thinking',
        'tool_call',
        'approval_requested',
        'approval_resolved',
        'tool_result',
        'thinking',
        'completed',
      ]);

      // (c) The parent got the child's answer, then continued the same conversation.
      expect(delegation.getToolCalls().map((call) => JSON.parse(call.result ?? 'null'))).toEqual([
        { conversation_id: childId, agent: treasurer.name, answer: 'Moved 70 to Globex.' },
        { conversation_id: childId, agent: treasurer.name, answer: 'Confirmed: 70 went to Globex.' },
      ]);
      expect(delegation.subTasks).toEqual([childId]);
      expect(child.status).toBe('completed');
      expect(child.parentTaskId).toBe(taskIds.delegation);
      expect(child.result).toBe('Confirmed: 70 went to Globex.');
      expect(child.getToolCalls()[0]?.result).toBe(`transferred 70 to Globex (pid ${currentPid})`);
      expect(child.approvals).toEqual([expect.objectContaining({ id: moveApproval!.id, decision: 'approved', decidedBy: 'auditor' })]);

      // (d) The conversation survived continue-as-new on both sides of the upgrade.
      expect(continued.history).toMatchObject([
        { role: 'system', content: chronicler.prompt },
        { role: 'user', content: UPGRADE_TASK_MESSAGES.continued },
        { role: 'assistant', tool_calls: [{ id: 'call_d1' }] },
        { role: 'tool', tool_call_id: 'call_d1', content: `noted d1 (pid ${releasedPid})` },
        { role: 'assistant', tool_calls: [{ id: 'call_d2' }] },
        { role: 'tool', tool_call_id: 'call_d2', content: `noted d2 (pid ${releasedPid})` },
        { role: 'assistant', content: 'Chronicle started.' },
        { role: 'user', content: 'Continue the chronicle.' },
        { role: 'assistant', tool_calls: [{ id: 'call_d3' }] },
        { role: 'tool', tool_call_id: 'call_d3', content: `noted d3 (pid ${currentPid})` },
        { role: 'assistant', content: 'Chronicle continued.' },
      ]);

      // Every durable event once, numbered without a gap across runs and worker generations.
      for (const taskId of [...Object.values(taskIds), childId]) {
        const seqs = (await eventsOf(taskId)).map((event) => event.seq);
        expect({ taskId, seqs }).toEqual({ taskId, seqs: seqs.map((_seq, index) => index + 1) });
      }

      // Each model call made once (none repeated by the new worker), each tool run exactly once.
      expect(requestCounts(llm.requests)).toEqual({ Assistant: 3, Finance: 2, Manager: 3, Treasurer: 3, Chronicler: 5 });
      const effects = readEffects(effectsFile).map((effect) => ({ key: effect.key, tool: effect.tool, args: effect.args, pid: effect.pid }));
      expect(effects.sort((left, right) => left.key.localeCompare(right.key))).toEqual(
        [
          { key: `${taskIds.approval}/call_pay`, tool: 'transfer_funds', args: { amount: 50, to: 'ACME' }, pid: currentPid },
          { key: `${taskIds.continued}/call_d1`, tool: 'note_step', args: { label: 'd1' }, pid: releasedPid },
          { key: `${taskIds.continued}/call_d2`, tool: 'note_step', args: { label: 'd2' }, pid: releasedPid },
          { key: `${taskIds.continued}/call_d3`, tool: 'note_step', args: { label: 'd3' }, pid: currentPid },
          { key: `${childId}/call_move`, tool: 'transfer_funds', args: { amount: 70, to: 'Globex' }, pid: currentPid },
          { key: `${taskIds.idle}/call_a`, tool: 'note_step', args: { label: 'a' }, pid: currentPid },
        ].sort((left, right) => left.key.localeCompare(right.key)),
      );

      // The histories: the released worker's calls before the upgrade, the current worker's after.
      const nameWorker = (identity: string): string =>
        identity.startsWith(`${releasedPid}@`) ? RELEASED : identity.startsWith(`${currentPid}@`) ? CURRENT : identity;
      const expectedActivities: Record<string, string[]> = {
        [taskIds.idle]: ['invokeModel@released', 'invokeModel@current', 'callToolAtMostOnce@current', 'invokeModel@current'],
        [taskIds.approval]: ['invokeModel@released', 'callToolAtMostOnce@current', 'invokeModel@current'],
        [taskIds.delegation]: ['invokeModel@released', 'invokeModel@current', 'invokeModel@current'],
        [childId]: ['invokeModel@released', 'callToolAtMostOnce@current', 'invokeModel@current', 'invokeModel@current'],
        [taskIds.continued]: [
          ...['invokeModel', 'callTool', 'invokeModel', 'callTool', 'invokeModel'].map((type) => `${type}@${RELEASED}`),
          // A call made after the upgrade takes the current code's activity (patched, as it is scheduled).
          ...['invokeModel', 'callToolAtMostOnce', 'invokeModel'].map((type) => `${type}@${CURRENT}`),
        ],
      };
      for (const [workflowId, expected] of Object.entries(expectedActivities)) {
        const runs = await fetchWorkflowRuns(client.client, workflowId);
        expect({ workflowId, activities: activityWorkers(runs, nameWorker) }).toEqual({ workflowId, activities: expected });
        // Workflow tasks: the released worker's, then only the current worker's.
        const workflowTasks = workflowTaskWorkers(runs, nameWorker);
        const firstCurrent = workflowTasks.indexOf(CURRENT);
        expect({ workflowId, released: workflowTasks.slice(0, firstCurrent).every((name) => name === RELEASED) }).toEqual({
          workflowId,
          released: true,
        });
        expect({ workflowId, current: firstCurrent > 0 && workflowTasks.slice(firstCurrent).every((name) => name === CURRENT) }).toEqual({
          workflowId,
          current: true,
        });
      }
      // The chronicler continued as new under the released worker and again under the current one.
      const continuedRuns = await fetchWorkflowRuns(client.client, taskIds.continued);
      const runWorkers = continuedRuns.map((run) => [...new Set(workflowTaskWorkers([run], nameWorker))].join('+'));
      expect(runWorkers[0]).toBe(RELEASED);
      expect(runWorkers).toContain(`${RELEASED}+${CURRENT}`);
      expect(runWorkers.at(-1)).toBe(CURRENT);

      expect(await currentWorker.stop('SIGTERM')).toBe(0);
      finished = true;
    },
    UPGRADE_TEST_TIMEOUT_MS,
  );

  /** Waits until the task has continued as new at least once and answered in its latest run. */
  async function waitForContinuedAsNew(taskId: string): Promise<Task> {
    return waitUntil(
      `${taskId} to continue as new and answer`,
      async () => {
        const runs = await fetchWorkflowRuns(client.client, taskId).catch(() => []);
        if (runs.length < 2) return undefined;
        const task = await client.getTask(taskId).catch(() => undefined);
        return task?.status === 'completed' ? task : undefined;
      },
      STATE_TIMEOUT_MS,
    );
  }

  async function waitForResult(taskId: string, result: string): Promise<Task> {
    const task = await waitForTask(client, taskId, (candidate) => candidate.status === 'failed' || candidate.result === result, STATE_TIMEOUT_MS);
    if (task.status === 'failed') throw new Error(`Task ${taskId} failed: ${task.error}`);
    expect(task.status).toBe('completed');
    return task;
  }

  async function eventsOf(taskId: string) {
    return (await client.client.workflow.getHandle(taskId).query(getEventsQuery, 0)).events;
  }

  function requestsOf(prompt: string): ScriptedRequest[] {
    return llm.requests.filter((request) => systemPromptOf(request) === prompt);
  }
});

/** Chat completion requests by agent name. */
function requestCounts(requests: readonly ScriptedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) {
    const agent = Object.values(UPGRADE_AGENTS).find(({ prompt }) => prompt === systemPromptOf(request));
    const name = agent?.name ?? `unknown: ${systemPromptOf(request)}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function systemPromptOf(request: ScriptedRequest): string {
  return String(request.body?.messages?.[0]?.content ?? '');
}

function messageContents(request: ScriptedRequest): unknown[] {
  return (request.body.messages as Array<{ content: unknown }>).map((message) => message.content);
}
