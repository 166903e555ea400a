import { ServiceError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import {
  AgentNotFoundError,
  ApprovalNotFoundError,
  EventBufferFullError,
  EventValidationError,
  NoWorkerError,
  PermissionDeniedError,
  TaskClosedError,
  TaskNotFoundError,
  UnknownEventError,
  VisionNotSupportedError,
  ZapConfigurationError,
  ZapValidationError,
} from '../../src/core/errors';
import { Zap, ZapAgent } from '../../src';
import { allowAnyone } from '../../src/http/authenticator';
import { bearerTokenAuthenticator } from '../../src/http/bearer-token-authenticator';
import { createHttpApi } from '../../src/http/create-http-api';
import { createProblem, HttpProblemCode, PROBLEM_CONTENT_TYPE, problemTypeUri } from '../../src/http/problem-details';
import { problemFromError } from '../../src/http/problem-from-error';

describe('problem details from errors', () => {
  test.each([
    { error: new ZapValidationError({ message: 'Invalid input: agent is required' }), status: 400, code: 'ZAP_VALIDATION' },
    { error: new PermissionDeniedError({ operation: 'start tasks' }), status: 403, code: 'PERMISSION_DENIED' },
    { error: new TaskNotFoundError({ taskId: 't-1' }), status: 404, code: 'TASK_NOT_FOUND' },
    { error: new UnknownEventError({ taskId: 't-1', eventName: 'nope' }), status: 404, code: 'UNKNOWN_EVENT' },
    { error: new TaskClosedError({ taskId: 't-1', reason: 'it is cancelled' }), status: 409, code: 'TASK_CLOSED' },
    { error: new EventBufferFullError({ taskId: 't-1', eventName: 'e', limit: '100 events' }), status: 409, code: 'EVENT_BUFFER_FULL' },
    { error: new AgentNotFoundError({ agentName: 'Ghost' }), status: 422, code: 'AGENT_NOT_FOUND' },
    { error: new EventValidationError({ taskId: 't-1', eventName: 'e' }), status: 422, code: 'EVENT_VALIDATION' },
    { error: new VisionNotSupportedError({ agentName: 'A', model: 'm' }), status: 422, code: 'VISION_NOT_SUPPORTED' },
    { error: new NoWorkerError({ namespace: 'default', taskQueue: 'q' }), status: 503, code: 'NO_WORKER' },
  ])('$code → $status', ({ error, status, code }) => {
    const problem = problemFromError(error, '/v1/tasks/t-1');
    expect(problem).toEqual({
      type: problemTypeUri(code),
      title: expect.any(String),
      status,
      detail: error.message,
      code,
      instance: '/v1/tasks/t-1',
    });
  });

  test('refused decisions name the approval ids: unknown ones (404), ones the authorize hook refused (403)', () => {
    const unknown = new ApprovalNotFoundError({ taskId: 't-1', approvalIds: ['a-1', 'a-2'] });
    expect(problemFromError(unknown, '/v1/tasks/t-1/decisions')).toEqual({
      type: problemTypeUri('APPROVAL_NOT_FOUND'),
      title: 'Approval not found',
      status: 404,
      detail: unknown.message,
      code: 'APPROVAL_NOT_FOUND',
      instance: '/v1/tasks/t-1/decisions',
      approvalIds: ['a-1', 'a-2'],
    });
    expect(problemFromError(new ApprovalNotFoundError({ taskId: 't-1', approvalId: 'a-1' }))).toMatchObject({ status: 404, approvalIds: ['a-1'] });
    const refused = new PermissionDeniedError({ operation: 'decide approvals', taskId: 't-1', approvalIds: ['a-2'] });
    expect(problemFromError(refused)).toMatchObject({ status: 403, code: 'PERMISSION_DENIED', approvalIds: ['a-2'], detail: refused.message });
    // A missing role names no approvals.
    expect(problemFromError(new PermissionDeniedError({ operation: 'decide approvals' }))).not.toHaveProperty('approvalIds');
  });

  test('type URIs are stable per code', () => {
    expect(problemTypeUri('TASK_NOT_FOUND')).toBe('https://zap-agents.dev/problems/task-not-found');
    expect(createProblem(HttpProblemCode.MalformedJson, 'x').type).toBe('https://zap-agents.dev/problems/malformed-json');
    expect(createProblem(HttpProblemCode.UnsupportedMediaType, 'x').status).toBe(415);
    expect(createProblem(HttpProblemCode.PayloadTooLarge, 'x').status).toBe(413);
    expect(createProblem(HttpProblemCode.RouteNotFound, 'x').status).toBe(404);
    expect(createProblem(HttpProblemCode.Unauthenticated, 'x').status).toBe(401);
  });

  test('event validation problems list the issues by field path', () => {
    const error = new EventValidationError({
      taskId: 't-1',
      eventName: 'email-verified',
      issues: [{ code: 'invalid_type', path: ['address', 0], message: 'expected string' }],
    });
    expect(problemFromError(error).issues).toEqual([{ path: 'address.0', message: 'expected string' }]);
  });

  test('anything else is a 500 that reveals nothing of the error', () => {
    for (const error of [
      new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'),
      new ZapConfigurationError({ message: 'secret configuration detail' }),
      'a string',
      undefined,
    ]) {
      const problem = problemFromError(error, '/v1/tasks');
      expect(problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', type: problemTypeUri('INTERNAL_ERROR') });
      expect(JSON.stringify(problem)).not.toMatch(/hunter2|ECONNREFUSED|secret/);
    }
  });

  test('Temporal unreachable (gRPC UNAVAILABLE) is a 503', () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'x', metadata: {} });
    const problem = problemFromError(new ServiceError('Failed to query workflow', { cause: grpc }));
    expect(problem).toMatchObject({ status: 503, code: 'ZAP_CONNECTION' });
    expect(problem.detail).not.toMatch(/No connection established/);
  });

  test('HTTP exceptions keep their 4xx status', () => {
    expect(problemFromError(new HTTPException(413, { message: 'too big' }))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(problemFromError(new HTTPException(500, { message: 'internal' }))).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
  });
});

describe('requests refused before any operation runs (in-process app, no Temporal needed)', () => {
  // A Zap that is never started: none of these requests may reach Temporal.
  const zap = new Zap({ agents: [new ZapAgent({ name: 'Support', prompt: 'Help.', model: 'm' })] });
  const unexpected: unknown[] = [];
  const api = createHttpApi({
    zap,
    authenticate: bearerTokenAuthenticator({ tokens: { 'good-token': { tenantId: 'acme', roles: ['read', 'start'] } } }),
    bodyLimitBytes: 1024,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const authorized = { authorization: 'Bearer good-token' };

  async function problemOf(response: Response) {
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    return (await response.json()) as Record<string, unknown>;
  }

  test('no or wrong credentials: 401 with WWW-Authenticate: Bearer', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic Z29vZC10b2tlbg==' }]) {
      const response = await api.request('/v1/tasks/t-1', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await problemOf(response)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, instance: '/v1/tasks/t-1' });
    }
  });

  test('wrong content type 415, malformed JSON 400, too large 413, unknown route 404, unknown query parameter 400', async () => {
    const post = (body: string, contentType: string) => api.request('/v1/tasks', { method: 'POST', headers: { ...authorized, 'content-type': contentType }, body });
    let response = await post('agent=Support', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(await problemOf(response)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });

    response = await post('{"agent": "Support",', 'application/json');
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({ code: 'MALFORMED_JSON', type: 'https://zap-agents.dev/problems/malformed-json' });

    response = await post(JSON.stringify({ agent: 'Support', message: 'x'.repeat(2000) }), 'application/json');
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    response = await api.request('/v1/nothing-here', { headers: authorized });
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toMatchObject({ code: 'ROUTE_NOT_FOUND' });

    response = await api.request('/v1/tasks?stauts=failed', { headers: authorized });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toMatch(/stauts/);
  });

  test('a body failing the operation schema is a 400 naming the field; a role missing is a 403', async () => {
    const readerApi = createHttpApi({ zap, authenticate: allowAnyone({ tenantId: 'acme', roles: ['read'] }) });
    const response = await readerApi.request('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'Support', message: 'hi' }),
    });
    expect(response.status).toBe(403);
    expect(await problemOf(response)).toMatchObject({ code: 'PERMISSION_DENIED' });

    const invalid = await api.request('/v1/tasks', {
      method: 'POST',
      headers: { ...authorized, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'Support' }),
    });
    expect(invalid.status).toBe(400);
    expect(await problemOf(invalid)).toMatchObject({ code: 'ZAP_VALIDATION', detail: expect.stringMatching(/message/) });
  });

  test('an unexpected error is a 500 reported to onUnexpectedError, never to the caller', async () => {
    const failing = createHttpApi({
      zap,
      authenticate: () => {
        throw new Error('token store password=hunter2 unreachable');
      },
      onUnexpectedError: (error) => unexpected.push(error),
    });
    const response = await failing.request('/v1/tasks');
    expect(response.status).toBe(500);
    expect(JSON.stringify(await problemOf(response))).not.toMatch(/hunter2/);
    expect(String(unexpected.at(-1))).toMatch(/hunter2/);
  });

  test('readiness of a Zap that is not started is a 503 problem; liveness is 200', async () => {
    expect((await api.request('/healthz')).status).toBe(200);
    const response = await api.request('/readyz');
    expect(response.status).toBe(503);
    expect(await problemOf(response)).toMatchObject({ code: 'NOT_READY' });
  });

  test('with allowedHosts, a request naming another host (DNS rebinding) is a 403 problem; localhost passes', async () => {
    const local = createHttpApi({ zap, authenticate: allowAnyone(), allowedHosts: ['localhost', '127.0.0.1'] });
    const rebound = await local.request('http://attacker.example:8080/healthz', { headers: { host: 'attacker.example:8080' } });
    expect(rebound.status).toBe(403);
    expect(await problemOf(rebound)).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    const foreignOrigin = await local.request('http://127.0.0.1:8080/healthz', { headers: { host: '127.0.0.1:8080', origin: 'http://attacker.example' } });
    expect(foreignOrigin.status).toBe(403);
    expect((await local.request('http://127.0.0.1:8080/healthz', { headers: { host: '127.0.0.1:8080' } })).status).toBe(200);
  });

  test('invalid options are configuration errors', () => {
    expect(() => createHttpApi({ zap, authenticate: undefined as never })).toThrow(ZapConfigurationError);
    expect(() => createHttpApi({ zap, authenticate: allowAnyone(), basePath: 'zap/' })).toThrow(/basePath/);
    expect(() => createHttpApi({ zap, authenticate: allowAnyone(), bodyLimitBytes: 0 })).toThrow(/bodyLimitBytes/);
    expect(() => bearerTokenAuthenticator({ tokens: {} })).toThrow(ZapConfigurationError);
    expect(() => bearerTokenAuthenticator({ tokens: { t: { roles: ['admin' as never] } } })).toThrow(/roles/);
  });
});

describe('bearerTokenAuthenticator', () => {
  const authenticate = bearerTokenAuthenticator({
    tokens: {
      'token-a': { tenantId: 'a', userId: 'ana', roles: ['read', 'approve'] },
      'token-b': { tenantId: 'b', roles: ['read'] },
    },
  });
  const requestWith = (authorization?: string) => new Request('http://127.0.0.1/v1/tasks', authorization ? { headers: { authorization } } : {});

  test('maps each token to its principal, and refuses others', async () => {
    expect(await authenticate(requestWith('Bearer token-a'))).toEqual({ tenantId: 'a', userId: 'ana', roles: ['read', 'approve'] });
    expect(await authenticate(requestWith('bearer token-b'))).toEqual({ tenantId: 'b', roles: ['read'] });
    expect(await authenticate(requestWith('Bearer token-'))).toBeUndefined();
    expect(await authenticate(requestWith('Bearer token-a-longer'))).toBeUndefined();
    expect(await authenticate(requestWith('token-a'))).toBeUndefined();
    expect(await authenticate(requestWith())).toBeUndefined();
  });

  test('principals are frozen copies, and never act as a task', async () => {
    const principal = await authenticate(requestWith('Bearer token-a'));
    expect(Object.isFrozen(principal)).toBe(true);
    expect(principal).not.toHaveProperty('actingTaskId');
  });
});
