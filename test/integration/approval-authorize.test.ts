import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalAuthorizationRequest, ApprovalRequest, Approver } from '../../src';
import { bearerTokenAuthenticator } from '../../src/http/bearer-token-authenticator';
import { PROBLEM_CONTENT_TYPE } from '../../src/http/problem-details';
import { serveHttpApi, type HttpApiServer } from '../../src/http/serve-http-api';
import { createZapMcpServer, MCP_ERROR_META_KEY } from '../../src/mcp-server';
import { PermissionDeniedError, ZapOperations } from '../../src/operations';
import { scripted } from '../../src/testing/scripted-llm-server';
import { executedCalls, PAYMENTS_PROMPT, paymentsAgent } from '../fixtures/approvals-zap';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

const TOKENS = { ana: 'token-ana-authorize', mallory: 'token-mallory-authorize' } as const;
const router = new AgentRouter();

/** Who the hook was asked about, in order. */
const asked: Array<{ decision: ApprovalAuthorizationRequest; approver: Approver }> = [];

/** Refunds need ana; any named approver may decide an email. */
function authorize(decision: ApprovalAuthorizationRequest, approver: Approver): boolean {
  asked.push({ decision, approver });
  if (decision.approval.toolName === 'refund') return approver.id === 'ana';
  return approver.id !== undefined;
}

describe('who may decide: the authorize hook', () => {
  let harness: Harness;
  let server: HttpApiServer;

  beforeAll(async () => {
    harness = await startHarness({ agents: [paymentsAgent()], llm: { handler: router.handler }, zap: { authorize } });
    server = await serveHttpApi({
      zap: harness.zap,
      port: 0,
      authenticate: bearerTokenAuthenticator({
        tokens: {
          [TOKENS.ana]: { userId: 'ana', roles: ['read', 'approve'] },
          [TOKENS.mallory]: { userId: 'mallory', roles: ['read', 'approve'] },
        },
      }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await harness?.stop();
  });

  test('a refused approver gets the typed error on every face and nothing is decided; an allowed one decides', async () => {
    router.enqueue(
      PAYMENTS_PROMPT,
      scripted.toolCalls([
        { id: 'call_refund', name: 'refund', arguments: { orderId: 'A-7', amount: 900 } },
        { id: 'call_email', name: 'send_email', arguments: { to: 'buyer@example.com', body: 'Refund approved' } },
      ]),
      scripted.text('Refunded and told the buyer.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Payments', task: 'Refund A-7 and tell the buyer' });
    await waitForTask(harness.zap, started.id, (task) => task.status === 'awaiting_approval' && task.waitingFor.approvals.length === 2);
    const pending = await harness.zap.getPendingApprovals(started.id);
    const refund = pending.find((approval) => approval.toolName === 'refund') as ApprovalRequest;
    const email = pending.find((approval) => approval.toolName === 'send_email') as ApprovalRequest;
    const stillPending = async () => (await harness.zap.getPendingApprovals(started.id)).map((approval) => approval.id).sort();
    const bothIds = [refund.id, email.id].sort();

    // SDK: mallory may not approve the refund.
    const refused = harness.zap.approve(started.id, refund.id, { approvedBy: 'mallory' });
    await expect(refused).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(refused).rejects.toMatchObject({ code: 'PERMISSION_DENIED', taskId: started.id, approvalIds: [refund.id] });
    expect(asked.at(-1)).toEqual({
      decision: { taskId: started.id, decision: 'approve', approval: expect.objectContaining({ id: refund.id, toolName: 'refund', toolArgs: { orderId: 'A-7', amount: 900 }, agentName: 'Payments', taskId: started.id, summary: refund.summary }) },
      approver: { id: 'mallory' },
    });
    // A batch with one refused decision is refused whole: the email (which mallory could decide) stays pending too.
    const task = await harness.zap.getTask(started.id);
    await expect(task.decide({ [email.id]: { decision: 'approve' }, [refund.id]: { decision: 'approve' } }, { decidedBy: 'mallory' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      approvalIds: [refund.id],
    });
    // No approver named: refused as well.
    await expect(harness.zap.reject(started.id, email.id, 'no')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', approvalIds: [email.id] });
    expect(await stillPending()).toEqual(bothIds);

    // HTTP: the same refusal is a 403 problem naming the approvals, for single and batch decisions.
    const post = (path: string, token: string, body: unknown) =>
      fetch(`${server.url}/v1/tasks/${encodeURIComponent(started.id)}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const single = await post(`/approvals/${refund.id}`, TOKENS.mallory, { decision: 'approve' });
    expect(single.status).toBe(403);
    expect(single.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await single.json()).toMatchObject({ status: 403, code: 'PERMISSION_DENIED', approvalIds: [refund.id] });
    const batch = await post('/decisions', TOKENS.mallory, { decisions: { [refund.id]: { decision: 'approve' }, [email.id]: { decision: 'approve' } } });
    expect(batch.status).toBe(403);
    expect(await batch.json()).toMatchObject({ code: 'PERMISSION_DENIED', approvalIds: [refund.id] });
    // The HTTP face passes its principal as the approver.
    expect(asked.at(-1)?.approver).toEqual({ id: 'mallory', roles: ['read', 'approve'] });

    // MCP: a tool error with the code, never a protocol error.
    const mcp = await connectMcp(new ZapOperations({ zap: harness.zap }), 'mallory');
    try {
      const result = (await mcp.callTool({ name: 'decide_approvals', arguments: { taskId: started.id, decisions: { [refund.id]: { decision: 'approve' } } } })) as CallToolResult;
      expect(result).toMatchObject({ isError: true, _meta: { [MCP_ERROR_META_KEY]: { code: 'PERMISSION_DENIED' } } });
      expect(result.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining(refund.id) });
    } finally {
      await mcp.close();
    }
    expect(await stillPending()).toEqual(bothIds);
    expect(executedCalls).toEqual([]);

    // ana may: the refund through the SDK, the email through HTTP.
    await harness.zap.approve(started.id, refund.id, { approvedBy: 'ana' });
    const allowed = await post(`/approvals/${email.id}`, TOKENS.ana, { decision: 'approve' });
    expect(allowed.status).toBe(200);
    const done = await waitForCompletion(harness.zap, started.id);
    expect(executedCalls.sort()).toEqual(['email buyer@example.com', 'refund A-7 900']);
    expect(done.approvals.map(({ id, decision, decidedBy }) => ({ id, decision, decidedBy }))).toEqual([
      { id: refund.id, decision: 'approved', decidedBy: 'ana' },
      { id: email.id, decision: 'approved', decidedBy: 'ana' },
    ]);
  });
});

/** An MCP client talking to the zap MCP server in memory, as `userId`. */
async function connectMcp(operations: ZapOperations, userId: string): Promise<Client> {
  const server = createZapMcpServer({ operations, principal: { userId, roles: ['read', 'approve'] } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'authorize-test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}
