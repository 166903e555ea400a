import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZapConfigurationError } from '../../src/core/errors';
import { signWebhookBody, verifyWebhookSignature, webhookNotifier, type LifecycleHookEvent } from '../../src/hooks';
import { TaskStatus } from '../../src/core/task-status';

const SECRET = 'a-shared-secret-of-some-length';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

function hookEvent(overrides: Partial<LifecycleHookEvent> = {}): LifecycleHookEvent {
  return {
    hook: 'onComplete',
    taskId: 'task-1',
    agentName: 'Support',
    deliveryId: 'task-1/onComplete/7',
    occurredAt: '2026-01-01T00:00:00.000Z',
    snapshot: { taskId: 'task-1', agentName: 'Support', status: TaskStatus.Completed } as LifecycleHookEvent['snapshot'],
    result: 'Done.',
    attempt: 1,
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('webhook signatures', () => {
  test('verify the raw body under the secret, in constant time, and refuse anything else', () => {
    const body = JSON.stringify({ type: 'completed', deliveryId: 'd-1' });
    const signature = signWebhookBody(body, SECRET);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ body, signature, secret: SECRET })).toBe(true);
    expect(verifyWebhookSignature({ body: Buffer.from(body), signature, secret: SECRET })).toBe(true);
    expect(verifyWebhookSignature({ body: `${body} `, signature, secret: SECRET })).toBe(false);
    expect(verifyWebhookSignature({ body, signature, secret: `${SECRET}x` })).toBe(false);
    expect(verifyWebhookSignature({ body, signature: signature.slice(0, -1), secret: SECRET })).toBe(false);
    expect(verifyWebhookSignature({ body, signature: undefined, secret: SECRET })).toBe(false);
    expect(verifyWebhookSignature({ body, signature: signature.replace('sha256=', 'sha1='), secret: SECRET })).toBe(false);
  });
});

describe('webhookNotifier', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(status).end(status === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/zap`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    status = 200;
  });

  test('builds one hook per event type asked for', () => {
    expect(Object.keys(webhookNotifier({ url, secret: SECRET })).sort()).toEqual(['onApprovalEscalated', 'onApprovalRequested', 'onComplete', 'onFailed', 'onStuck']);
    expect(Object.keys(webhookNotifier({ url, secret: SECRET, events: ['approval_requested'] }))).toEqual(['onApprovalRequested']);
  });

  test('POSTs a signed JSON body with the delivery id, the same on every attempt', async () => {
    const hooks = webhookNotifier({ url, secret: SECRET, headers: { authorization: 'Bearer receiver-token' } });
    await hooks.onComplete!(hookEvent());
    await hooks.onComplete!(hookEvent({ attempt: 2 }));
    expect(received).toHaveLength(2);
    const [first, second] = received as [Received, Received];
    expect(second.body).toBe(first.body);
    expect(JSON.parse(first.body)).toEqual({
      type: 'completed',
      taskId: 'task-1',
      agentName: 'Support',
      status: 'completed',
      result: 'Done.',
      occurredAt: '2026-01-01T00:00:00.000Z',
      deliveryId: 'task-1/onComplete/7',
    });
    expect(first.headers).toMatchObject({
      'content-type': 'application/json',
      'x-zap-event': 'completed',
      'x-zap-delivery': 'task-1/onComplete/7',
      authorization: 'Bearer receiver-token',
    });
    expect(verifyWebhookSignature({ body: first.body, signature: first.headers['x-zap-signature'] as string, secret: SECRET })).toBe(true);
  });

  test('an approval request carries its summary for the person deciding', async () => {
    const approval = {
      id: 'approval-1',
      summary: 'Refund 250 EUR to order 42',
      toolName: 'refund',
      toolArgs: { orderId: '42', amount: 250 },
      agentName: 'Support',
      taskId: 'task-1',
      requestedAt: '2026-01-01T00:00:00.000Z',
      timeoutAt: '2026-01-08T00:00:00.000Z',
    };
    const hooks = webhookNotifier({ url, secret: SECRET, events: ['approval_requested'] });
    await hooks.onApprovalRequested!(
      hookEvent({ hook: 'onApprovalRequested', approval, result: undefined, snapshot: { status: TaskStatus.AwaitingApproval } as LifecycleHookEvent['snapshot'] }),
    );
    expect(JSON.parse(received[0]!.body)).toMatchObject({
      type: 'approval_requested',
      status: 'awaiting_approval',
      approval: { id: 'approval-1', summary: 'Refund 250 EUR to order 42', toolName: 'refund' },
    });
  });

  test('a non-2xx answer fails the attempt (so the hook is retried)', async () => {
    status = 503;
    const hooks = webhookNotifier({ url, secret: SECRET, events: ['failed'] });
    await expect(hooks.onFailed!(hookEvent({ hook: 'onFailed', error: 'boom' }))).rejects.toThrow(/answered 503: nope/);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'failed', error: 'boom' });
  });

  test('refuses bad options with a configuration error', () => {
    const bad = (options: unknown): string => {
      try {
        webhookNotifier(options as never);
      } catch (error) {
        expect(error).toBeInstanceOf(ZapConfigurationError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad({ url: 'not a url', secret: SECRET })).toMatch(/is not a URL/);
    expect(bad({ url: 'ftp://example.com', secret: SECRET })).toMatch(/http: or https:/);
    expect(bad({ url, secret: 'short' })).toMatch(/at least 16 characters/);
    expect(bad({ url, secret: SECRET, events: ['answered'] })).toMatch(/unknown event 'answered'/);
    expect(bad({ url, secret: SECRET, events: [] })).toMatch(/at least one/);
    expect(bad({ url, secret: SECRET, headers: { 'X-Zap-Signature': 'forged' } })).toMatch(/set by the notifier itself/);
  });
});
