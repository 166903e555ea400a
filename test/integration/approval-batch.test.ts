import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ApprovalNotFoundError, type ApprovalRequest } from '../../src';
import { bearerTokenAuthenticator } from '../../src/http/bearer-token-authenticator';
import { PROBLEM_CONTENT_TYPE } from '../../src/http/problem-details';
import { serveHttpApi, type HttpApiServer } from '../../src/http/serve-http-api';
import { approvalDecisionsResultSchema, pendingApprovalListSchema } from '../../src/operations/operation-schemas';
import { scripted } from '../../src/testing/scripted-llm-server';
import { executedCalls, PAYMENTS_PROMPT, paymentsAgent } from '../fixtures/approvals-zap';
import { AgentRouter } from '../support/agent-router';
import { startHarness, temporalAddress, waitForCompletion, waitForTask, type Harness } from '../support/harness';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const CLI_ENTRY = resolve(REPOSITORY_ROOT, 'workers/zap-cli.ts');
const FIXTURE_MODULE = resolve(__dirname, '../fixtures/approvals-zap.ts');
const ANA_TOKEN = 'token-ana-approver-batch';
const REJECTION = 'not to outside addresses';

const router = new AgentRouter();

/** The model's turn: a refund and an email in one response (both gated), then an answer. */
function scriptTwoGatedCalls(orderId: string): void {
  router.enqueue(
    PAYMENTS_PROMPT,
    scripted.toolCalls([
      { id: 'call_refund', name: 'refund', arguments: { orderId, amount: 250 } },
      { id: 'call_email', name: 'send_email', arguments: { to: 'someone@outside.example', body: 'Your refund is on its way' } },
    ]),
    scripted.text(`Handled order ${orderId}.`),
  );
}

describe('batch decisions', () => {
  let harness: Harness;
  let server: HttpApiServer;

  beforeAll(async () => {
    harness = await startHarness({ agents: [paymentsAgent()], llm: { handler: router.handler } });
    server = await serveHttpApi({
      zap: harness.zap,
      port: 0,
      authenticate: bearerTokenAuthenticator({ tokens: { [ANA_TOKEN]: { userId: 'ana', roles: ['read', 'approve'] } } }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    executedCalls.length = 0;
  });

  /** Starts a task whose model calls both gated tools, and waits until both approvals are pending. */
  async function startWithTwoPending(orderId: string): Promise<{ taskId: string; refund: ApprovalRequest; email: ApprovalRequest }> {
    scriptTwoGatedCalls(orderId);
    const task = await harness.zap.executeTask({ agentName: 'Payments', task: `Refund order ${orderId} and tell the customer` });
    await waitForTask(harness.zap, task.id, (latest) => latest.status === 'awaiting_approval' && latest.waitingFor.approvals.length === 2);
    const pending = await harness.zap.getPendingApprovals(task.id);
    return {
      taskId: task.id,
      refund: pending.find((approval) => approval.toolName === 'refund')!,
      email: pending.find((approval) => approval.toolName === 'send_email')!,
    };
  }

  /** After the valid batch: the refund ran once, the email never, and the model read the rejection. */
  async function expectRefundRanAndEmailRejected(taskId: string, decidedBy: string): Promise<void> {
    const task = await waitForCompletion(harness.zap, taskId);
    expect(executedCalls).toEqual([expect.stringMatching(/^refund /)]);
    expect(task.approvals.map(({ toolName, decision, decidedBy: by }) => ({ toolName, decision, decidedBy: by }))).toEqual([
      { toolName: 'refund', decision: 'approved', decidedBy },
      { toolName: 'send_email', decision: 'rejected', decidedBy },
    ]);
    const followUp = harness.llm.requests[1]?.body.messages as Array<{ role: string; content: string; tool_call_id?: string }>;
    expect(followUp.filter((message) => message.role === 'tool')).toEqual([
      expect.objectContaining({ tool_call_id: 'call_refund', content: expect.stringMatching(/^refunded 250/) }),
      expect.objectContaining({ tool_call_id: 'call_email', content: `[Tool call rejected: ${REJECTION}]` }),
    ]);
  }

  test('SDK: a batch with one unknown id is refused whole; a valid batch applies both decisions', async () => {
    const { taskId, refund, email } = await startWithTwoPending('sdk-1');
    const task = await harness.zap.getTask(taskId);

    const refusal = task.decide({ [refund.id]: { decision: 'approve' }, 'no-such-approval': { decision: 'reject' } }, { decidedBy: 'ana' });
    await expect(refusal).rejects.toBeInstanceOf(ApprovalNotFoundError);
    await expect(refusal).rejects.toMatchObject({ taskId, approvalId: 'no-such-approval', approvalIds: ['no-such-approval'] });
    // Nothing of the refused batch was applied: the refund still waits, like the email.
    expect((await harness.zap.getPendingApprovals(taskId)).map((approval) => approval.id).sort()).toEqual([refund.id, email.id].sort());
    expect(executedCalls).toEqual([]);

    const { results } = await task.decide(
      { [refund.id]: { decision: 'approve' }, [email.id]: { decision: 'reject', reason: REJECTION } },
      { decidedBy: 'ana' },
    );
    expect(results).toEqual([
      { approvalId: refund.id, decision: 'approved', alreadyDecided: false },
      { approvalId: email.id, decision: 'rejected', alreadyDecided: false },
    ]);
    await expectRefundRanAndEmailRejected(taskId, 'ana');

    // Deciding again is harmless: the decisions that hold come back.
    const again = await harness.zap.decideApprovals(taskId, { [email.id]: { decision: 'approve' } });
    expect(again.results).toEqual([{ approvalId: email.id, decision: 'rejected', alreadyDecided: true }]);
    // A malformed batch is a validation error before anything is sent.
    await expect(harness.zap.decideApprovals(taskId, {})).rejects.toMatchObject({ code: 'ZAP_VALIDATION' });
    await expect(harness.zap.decideApprovals(taskId, { [email.id]: { decision: 'maybe' as 'approve' } })).rejects.toMatchObject({ code: 'ZAP_VALIDATION' });
  });

  test('HTTP: POST /v1/tasks/{id}/decisions answers 404 naming the unknown ids, then 200 with the results', async () => {
    const { taskId, refund, email } = await startWithTwoPending('http-1');
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/tasks/${encodeURIComponent(taskId)}/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ANA_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // The approvals carry the summary of the call, for the person deciding.
    const listed = await fetch(`${server.url}/v1/tasks/${encodeURIComponent(taskId)}/approvals`, { headers: { authorization: `Bearer ${ANA_TOKEN}` } });
    const { approvals } = pendingApprovalListSchema.parse(await listed.json());
    expect(refund.summary).toEqual(expect.any(String));
    expect(approvals.find((approval) => approval.approvalId === refund.id)?.summary).toBe(refund.summary);

    const unknown = await post({ decisions: { [refund.id]: { decision: 'approve' }, 'ghost-1': { decision: 'approve' }, 'ghost-2': { decision: 'reject' } } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await unknown.json()).toMatchObject({ code: 'APPROVAL_NOT_FOUND', approvalIds: ['ghost-1', 'ghost-2'], instance: `/v1/tasks/${taskId}/decisions` });
    expect((await harness.zap.getPendingApprovals(taskId)).length).toBe(2);

    const invalid = await post({ decisions: {} });
    expect(invalid.status).toBe(400);

    const decided = await post({ decisions: { [refund.id]: { decision: 'approve' }, [email.id]: { decision: 'reject', reason: REJECTION } } });
    expect(decided.status).toBe(200);
    expect(approvalDecisionsResultSchema.parse(await decided.json())).toEqual({
      taskId,
      results: [
        { approvalId: refund.id, decision: 'approved', alreadyDecided: false },
        { approvalId: email.id, decision: 'rejected', alreadyDecided: false },
      ],
      decidedBy: 'ana',
    });
    await expectRefundRanAndEmailRejected(taskId, 'ana');
  });

  test('CLI: zap status shows the summaries; zap decide exits 5 naming the unknown id, then decides both', async () => {
    const { taskId, refund, email } = await startWithTwoPending('cli-1');
    const environment = { ZAP_MODULE: FIXTURE_MODULE, ZAP_TASK_QUEUE: harness.taskQueue, TEMPORAL_ADDRESS: temporalAddress() };

    const status = await runCli(['status', taskId], environment);
    expect(status.code).toBe(0);
    const approvalLines = status.stdout.split('\n').filter((line) => line.startsWith('Approval'));
    expect(approvalLines).toHaveLength(2);
    expect(approvalLines.find((line) => line.includes(refund.id))).toContain(`${refund.id}: ${refund.summary}`);

    const unknown = await runCli(['decide', taskId, '--approve', refund.id, '--reject', 'ghost-3:no reason', '--json'], environment);
    expect(unknown.code).toBe(5);
    expect(unknown.stdout).toBe('');
    expect(JSON.parse(unknown.stderr.trim().split('\n').pop() as string).error).toMatchObject({ code: 'APPROVAL_NOT_FOUND', message: expect.stringContaining('ghost-3') });
    expect((await harness.zap.getPendingApprovals(taskId)).length).toBe(2);

    const usage = await runCli(['decide', taskId, '--json'], environment);
    expect(usage.code).toBe(2);

    const decided = await runCli(['decide', taskId, '--approve', refund.id, '--reject', `${email.id}:${REJECTION}`, '--by', 'carol', '--json'], environment);
    expect(decided.code).toBe(0);
    expect(approvalDecisionsResultSchema.parse(JSON.parse(decided.stdout))).toMatchObject({
      taskId,
      results: [
        { approvalId: refund.id, decision: 'approved' },
        { approvalId: email.id, decision: 'rejected' },
      ],
      decidedBy: 'carol',
    });
    await expectRefundRanAndEmailRejected(taskId, 'carol');
  });
});

/** Runs `zap <args>` (workers/zap-cli.ts through tsx, as the bin runs from dist/) to its end. */
function runCli(args: string[], environment: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveRun) => child.once('close', (code) => resolveRun({ code, stdout, stderr })));
}
