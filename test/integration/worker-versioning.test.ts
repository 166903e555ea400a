import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { ApprovalRules, type Task, type Zap } from '../../src';
import {
  scripted,
  ScriptedLlmServer,
  type ScriptedRequest,
  type ScriptedResponse,
} from '../../src/testing/scripted-llm-server';
import { createVersionedZap } from '../fixtures/versioned-worker-zap';
import { temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion, waitForTask } from '../support/harness';
import { runWorkerToExit, spawnWorker, type WorkerProcess } from '../support/spawn-worker';
import {
  countOpenWorkflowsOn,
  describeVersioning,
  makeVersionCurrent,
  pollUntil,
} from '../support/worker-deployments';

const FIXTURE = resolve(__dirname, '../fixtures/versioned-worker-zap.ts');
const GATED = new ApprovalRules({ patterns: ['ship_*'] });

/** Scripted answers per task, keyed by the task's first user message (tasks run concurrently). */
class ScriptsByTask {
  private readonly queues = new Map<string, ScriptedResponse[]>();

  enqueue(task: string, ...responses: ScriptedResponse[]): void {
    this.queues.set(task, [...(this.queues.get(task) ?? []), ...responses]);
  }

  readonly handler = (request: ScriptedRequest): ScriptedResponse => {
    const task = firstUserMessage(request);
    return this.queues.get(task)?.shift() ?? { kind: 'error', status: 500, message: `no scripted response for '${task}'` };
  };
}

function firstUserMessage(request: ScriptedRequest): string {
  const messages = request.body.messages as Array<{ role: string; content: unknown }>;
  return String(messages.find((message) => message.role === 'user')?.content ?? '');
}

/** The API key each model call of `task` was made with: `key-<build>` tells which build made it. */
function modelKeysOf(llm: ScriptedLlmServer, task: string): string[] {
  return llm.requests
    .filter((request) => firstUserMessage(request) === task)
    .map((request) => String(request.headers.authorization).replace(/^Bearer /, ''));
}

function uniqueDeploymentName(): string {
  return `zap-test-${randomBytes(5).toString('hex')}`;
}

/** A worker of `zap` in this process, running until `zap.stop()`. */
async function runWorker(zap: Zap, deployment: Parameters<Zap['createWorker']>[0]): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await zap.createWorker({ ...testWorkerOptions(), ...deployment });
  return { worker, running: worker.run() };
}

/** Waits until the task's latest answer is `answer` (a follow-up's answer, not the first one). */
async function waitForAnswer(zap: Zap, taskId: string, answer: string): Promise<Task> {
  return waitForTask(zap, taskId, (task) => task.status === 'completed' && task.result === answer);
}

describe('worker versioning (worker deployments)', () => {
  let llm: ScriptedLlmServer;
  let scripts: ScriptsByTask;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    scripts = new ScriptsByTask();
    llm = await ScriptedLlmServer.start({ handler: scripts.handler });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await llm.close();
  });

  test('auto-upgrade (default): open tasks finish on build B after A stops; new tasks run on B', async () => {
    const taskQueue = uniqueTaskQueue('versioning');
    const deploymentName = uniqueDeploymentName();
    const client = createVersionedZap({ taskQueue, address: temporalAddress(), build: 'client' });
    await client.start();
    cleanups.push(() => client.stop());

    // Build A: the real zap-worker entry, versioned through its environment (behaviour left to the default).
    const workerA: WorkerProcess = await spawnWorker(FIXTURE, {
      ZAP_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporalAddress(),
      OPENAI_BASE_URL: llm.baseURL,
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
      ZAP_DEPLOYMENT_NAME: deploymentName,
      ZAP_BUILD_ID: 'build-a',
      ZAP_VERSIONING_BEHAVIOR: '',
    });
    cleanups.push(() => workerA.stop('SIGKILL'));
    expect(workerA.output()).toContain(`as ${deploymentName}:build-a (auto-upgrade)`);
    await makeVersionCurrent(client.client, { deploymentName, buildId: 'build-a' }, taskQueue);

    // On A: one task answered and idle, waiting for a follow-up; one waiting for a tool approval.
    scripts.enqueue('Idle task', scripted.text('First answer'));
    const idle = await client.executeTask({ agentName: 'Shipper', task: 'Idle task' });
    await waitForCompletion(client, idle.id);
    scripts.enqueue(
      'Ship order 7',
      scripted.toolCalls([{ id: 'call_ship', name: 'ship_order', arguments: { orderId: '7' } }]),
      scripted.text('Order 7 is on its way.'),
    );
    const gated = await client.executeTask({ agentName: 'Shipper', task: 'Ship order 7', approvalRules: GATED });
    await waitForTask(client, gated.id, (task) => task.status === 'awaiting_approval');
    for (const id of [idle.id, gated.id]) {
      expect(await describeVersioning(client.client, id)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-a', deploymentName });
    }

    // Build B (in this process, through zap.createWorker): made current, then A stops.
    const zapB = createVersionedZap({ taskQueue, address: temporalAddress(), build: 'build-b', llmBaseURL: llm.baseURL });
    cleanups.push(() => zapB.stop());
    await runWorker(zapB, { deployment: { name: deploymentName, buildId: 'build-b' } });
    await makeVersionCurrent(client.client, { deploymentName, buildId: 'build-b' }, taskQueue);
    expect(await workerA.stop('SIGTERM')).toBe(0);

    // The open tasks go on, on B.
    scripts.enqueue('Idle task', scripted.text('Follow-up answered'));
    await client.executeTask({ followUpOnTask: idle.id, task: 'One more thing' });
    const followedUp = await waitForAnswer(client, idle.id, 'Follow-up answered');
    expect(followedUp.getTurns()).toHaveLength(2);
    expect(modelKeysOf(llm, 'Idle task')).toEqual(['key-build-a', 'key-build-b']);

    const [pending] = await client.getPendingApprovals(gated.id);
    await client.approve(gated.id, pending!.id, { approvedBy: 'alice' });
    const shipped = await waitForCompletion(client, gated.id);
    expect(shipped.result).toBe('Order 7 is on its way.');
    expect(shipped.getToolCalls()[0]?.result).toBe(`order 7 shipped by build-b (pid ${process.pid})`);
    expect(modelKeysOf(llm, 'Ship order 7')).toEqual(['key-build-a', 'key-build-b']);

    for (const id of [idle.id, gated.id]) {
      expect(await describeVersioning(client.client, id)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-b', deploymentName });
    }

    // A new task runs on B.
    scripts.enqueue(
      'Who runs me?',
      scripted.toolCalls([{ id: 'call_who', name: 'whoami', arguments: {} }]),
      scripted.text('Build B does.'),
    );
    const fresh = await client.executeTask({ agentName: 'Shipper', task: 'Who runs me?' });
    const freshDone = await waitForCompletion(client, fresh.id);
    expect(freshDone.getToolCalls()[0]?.result).toBe(`build-b (pid ${process.pid})`);
    expect(modelKeysOf(llm, 'Who runs me?')).toEqual(['key-build-b', 'key-build-b']);
    expect(await describeVersioning(client.client, fresh.id)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-b', deploymentName });
  });

  test('pinned: open tasks stay on build A until they close, new tasks run on B, then A drains', async () => {
    const taskQueue = uniqueTaskQueue('pinned');
    const deploymentName = uniqueDeploymentName();
    const versionA = { deploymentName, buildId: 'build-a' };
    const client = createVersionedZap({ taskQueue, address: temporalAddress(), build: 'client' });
    await client.start();
    cleanups.push(() => client.stop());

    const zapA = createVersionedZap({ taskQueue, address: temporalAddress(), build: 'build-a', llmBaseURL: llm.baseURL });
    cleanups.push(() => zapA.stop());
    await runWorker(zapA, { deployment: { name: deploymentName, buildId: 'build-a', versioningBehavior: 'pinned' } });
    await makeVersionCurrent(client.client, versionA, taskQueue);

    scripts.enqueue('Pinned idle task', scripted.text('First answer'));
    const idle = await client.executeTask({ agentName: 'Shipper', task: 'Pinned idle task' });
    await waitForCompletion(client, idle.id);
    scripts.enqueue(
      'Ship order 8',
      scripted.toolCalls([{ id: 'call_ship', name: 'ship_order', arguments: { orderId: '8' } }]),
      scripted.text('Order 8 is on its way.'),
    );
    const gated = await client.executeTask({ agentName: 'Shipper', task: 'Ship order 8', approvalRules: GATED });
    await waitForTask(client, gated.id, (task) => task.status === 'awaiting_approval');
    expect(await describeVersioning(client.client, gated.id)).toEqual({ behavior: 'PINNED', buildId: 'build-a', deploymentName });

    const zapB = createVersionedZap({ taskQueue, address: temporalAddress(), build: 'build-b', llmBaseURL: llm.baseURL });
    cleanups.push(() => zapB.stop());
    await runWorker(zapB, { deployment: { name: deploymentName, buildId: 'build-b', versioningBehavior: 'pinned' } });
    await makeVersionCurrent(client.client, { deploymentName, buildId: 'build-b' }, taskQueue);

    // New tasks go to B …
    scripts.enqueue(
      'Who runs me?',
      scripted.toolCalls([{ id: 'call_who', name: 'whoami', arguments: {} }]),
      scripted.text('Build B does.'),
    );
    const fresh = await client.executeTask({ agentName: 'Shipper', task: 'Who runs me?' });
    const freshDone = await waitForCompletion(client, fresh.id);
    expect(freshDone.getToolCalls()[0]?.result).toBe(`build-b (pid ${process.pid})`);
    expect(await describeVersioning(client.client, fresh.id)).toEqual({ behavior: 'PINNED', buildId: 'build-b', deploymentName });

    // … while the tasks pinned to A are still served by A.
    scripts.enqueue('Pinned idle task', scripted.text('Follow-up answered'));
    await client.executeTask({ followUpOnTask: idle.id, task: 'One more thing' });
    await waitForAnswer(client, idle.id, 'Follow-up answered');
    expect(modelKeysOf(llm, 'Pinned idle task')).toEqual(['key-build-a', 'key-build-a']);
    const [pending] = await client.getPendingApprovals(gated.id);
    await client.approve(gated.id, pending!.id, { approvedBy: 'alice' });
    const shipped = await waitForCompletion(client, gated.id);
    expect(shipped.getToolCalls()[0]?.result).toBe(`order 8 shipped by build-a (pid ${process.pid})`);
    expect(modelKeysOf(llm, 'Ship order 8')).toEqual(['key-build-a', 'key-build-a']);
    for (const id of [idle.id, gated.id]) {
      expect(await describeVersioning(client.client, id)).toEqual({ behavior: 'PINNED', buildId: 'build-a', deploymentName });
    }

    // A drains: its two tasks are still open (answered, waiting for follow-ups); once they close,
    // nothing is left on A and it can stop.
    await pollUntil('two open tasks on build A', async () => ((await countOpenWorkflowsOn(client.client, versionA)) === 2 ? true : undefined));
    await client.cancelTask(idle.id);
    await client.cancelTask(gated.id);
    await pollUntil('build A drained', async () => ((await countOpenWorkflowsOn(client.client, versionA)) === 0 ? true : undefined));
    await zapA.stop();
    expect((await client.getTask(fresh.id)).status).toBe('completed');
  });

  test('zap-worker refuses a deployment name without a build id, before connecting anything', async () => {
    const { code, output } = await runWorkerToExit(
      FIXTURE,
      { ZAP_DEPLOYMENT_NAME: 'support-agents', ZAP_BUILD_ID: '', ZAP_TASK_QUEUE: uniqueTaskQueue(), TEMPORAL_ADDRESS: temporalAddress() },
    );
    expect(code).toBe(1);
    expect(output).toContain(
      '[zap-worker] failed: ZAP_DEPLOYMENT_NAME is set but ZAP_BUILD_ID is not: set both to run a versioned worker',
    );
    expect(output).not.toContain('[zap-worker] running');
  });
});
