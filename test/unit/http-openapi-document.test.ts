import Ajv2020 from 'ajv/dist/2020';
import { Zap, ZapAgent } from '../../src';
import { allowAnyone } from '../../src/http/authenticator';
import { API_ROUTES, createHttpApi } from '../../src/http/create-http-api';
import { HTTP_ROUTES } from '../../src/http/http-routes';
import { createOpenApiDocument } from '../../src/http/openapi-document';

type Json = Record<string, any>;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PARAMETER_LOCATIONS = new Set(['query', 'header', 'path', 'cookie']);

/** The value a local JSON pointer (`#/a/b`) designates in the document, or undefined. */
function resolvePointer(document: Json, reference: string): unknown {
  if (!reference.startsWith('#/')) return undefined;
  return reference
    .slice(2)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, segment) => (node && typeof node === 'object' ? (node as Json)[segment] : undefined), document);
}

function collectReferences(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => collectReferences(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else collectReferences(value, found);
    }
  }
  return found;
}

/**
 * The structural rules of OpenAPI 3.1 the document must follow (the parts of the specification's
 * schema that apply to what we generate), as a list of violations.
 */
function openApi31Violations(document: Json): string[] {
  const violations: string[] = [];
  if (!/^3\.1\.\d+$/.test(String(document.openapi))) violations.push(`openapi is ${document.openapi}`);
  if (typeof document.info?.title !== 'string' || typeof document.info?.version !== 'string') violations.push('info.title / info.version');
  if (typeof document.paths !== 'object') violations.push('paths');
  const operationIds = new Set<string>();
  const schemes = Object.keys(document.components?.securitySchemes ?? {});
  const checkSecurity = (where: string, security: unknown) => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return violations.push(`${where}: security is not an array`);
    for (const requirement of security) {
      for (const name of Object.keys(requirement)) if (!schemes.includes(name)) violations.push(`${where}: unknown security scheme ${name}`);
    }
  };
  checkSecurity('root', document.security);
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    if (!path.startsWith('/')) violations.push(`path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const [method, operation] of Object.entries<Json>(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!HTTP_METHODS.has(method)) violations.push(`${where}: not an HTTP method`);
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId)) violations.push(`${where}: duplicate operationId`);
        operationIds.add(operation.operationId);
      }
      const responses = Object.entries<Json>(operation.responses ?? {});
      if (responses.length === 0) violations.push(`${where}: no responses`);
      for (const [status, response] of responses) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) violations.push(`${where}: response key ${status}`);
        if (response.$ref === undefined && typeof response.description !== 'string') violations.push(`${where} ${status}: no description`);
      }
      const parameters = (operation.parameters ?? []) as Json[];
      for (const parameter of parameters) {
        if (typeof parameter.name !== 'string' || !PARAMETER_LOCATIONS.has(parameter.in)) violations.push(`${where}: bad parameter ${JSON.stringify(parameter)}`);
        if (parameter.schema === undefined && parameter.content === undefined) violations.push(`${where}: parameter ${parameter.name} has no schema`);
        if (parameter.in === 'path' && parameter.required !== true) violations.push(`${where}: path parameter ${parameter.name} not required`);
      }
      const declared = parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
      if (JSON.stringify([...declared].sort()) !== JSON.stringify([...templated].sort())) {
        violations.push(`${where}: path parameters ${declared} vs template ${templated}`);
      }
      if (operation.requestBody && Object.keys(operation.requestBody.content ?? {}).length === 0) violations.push(`${where}: empty requestBody`);
      checkSecurity(where, operation.security);
    }
  }
  for (const reference of collectReferences(document)) {
    if (resolvePointer(document, reference) === undefined) violations.push(`unresolved $ref ${reference}`);
  }
  return violations;
}

describe('the OpenAPI document', () => {
  const zap = new Zap({ agents: [new ZapAgent({ name: 'Support', prompt: 'Help.', model: 'm' })] });
  const api = createHttpApi({ zap, authenticate: allowAnyone(), mcp: async () => new Response(null, { status: 204 }) });
  let document: Json;

  beforeAll(async () => {
    const response = await api.request('/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as Json;
  });

  test('is structurally valid OpenAPI 3.1', () => {
    expect(openApi31Violations(document)).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
  });

  test('documents every route the app serves, and only those', () => {
    const served = api.routes
      .filter((route) => route.method !== 'ALL' || route.path === '/mcp')
      .map((route) => `${route.method === 'ALL' ? 'POST' : route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries<Json>(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((entry) => !/^(GET|DELETE) \/mcp$/.test(entry));
    expect(new Set(served)).toEqual(new Set(documented));
    expect(served).toHaveLength(API_ROUTES.length + 1);
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /v1/tasks',
        'POST /v1/pipelines/{name}/runs',
        'GET /v1/tasks',
        'GET /v1/tasks/{taskId}',
        'GET /v1/tasks/{taskId}/history',
        'GET /v1/tasks/{taskId}/events',
        'POST /v1/tasks/{taskId}/messages',
        'GET /v1/tasks/{taskId}/approvals',
        'POST /v1/tasks/{taskId}/approvals/{approvalId}',
        'POST /v1/tasks/{taskId}/events/{name}',
        'POST /v1/tasks/{taskId}/wait',
        'POST /v1/tasks/{taskId}/cancel',
        'GET /v1/tasks/{taskId}/usage',
        'POST /v1/schedules',
        'GET /v1/schedules',
        'GET /v1/schedules/{scheduleId}',
        'PATCH /v1/schedules/{scheduleId}',
        'DELETE /v1/schedules/{scheduleId}',
        'POST /v1/schedules/{scheduleId}/pause',
        'POST /v1/schedules/{scheduleId}/unpause',
        'POST /v1/schedules/{scheduleId}/trigger',
        'GET /healthz',
        'GET /readyz',
        'GET /openapi.json',
      ]),
    );
  });

  test('has parameters, bodies, answers and problem answers for every route', () => {
    const list = document.paths['/v1/tasks'].get;
    expect(list.parameters.map((parameter: Json) => parameter.name)).toEqual([
      'status',
      'agent',
      'tenantId',
      'userId',
      'parentTaskId',
      'createdAfter',
      'createdBefore',
      'pageSize',
      'pageToken',
    ]);
    expect(list.parameters[0]).toMatchObject({ in: 'query', style: 'form', explode: true, schema: { type: 'array' } });
    expect(document.paths['/v1/tasks/{taskId}/history'].get.parameters.find((parameter: Json) => parameter.name === 'limit').schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 500,
      default: 100,
    });
    const events = document.paths['/v1/tasks/{taskId}/events'].get;
    expect(events.parameters.map((parameter: Json) => `${parameter.in}:${parameter.name}`)).toEqual(
      expect.arrayContaining(['query:since', 'query:follow', 'query:tokens', 'header:Last-Event-ID']),
    );
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);

    const start = document.paths['/v1/tasks'].post;
    expect(start.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/StartTaskRequest' } } } });
    expect(start.responses['201'].headers.Location).toBeDefined();
    for (const status of ['400', '401', '403', '413', '415', '422', '500', '503']) {
      expect(start.responses[status]).toEqual({ $ref: `#/components/responses/Problem${status}` });
    }
    expect(document.paths['/v1/tasks/{taskId}'].get.responses['404']).toBeDefined();
    expect(document.components.responses.Problem404.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(document.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    });
  });

  test('documents the schedule routes: bodies, answers, and 404 / 409 problems', () => {
    const create = document.paths['/v1/schedules'].post;
    expect(create.tags).toEqual(['schedules']);
    expect(create.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateScheduleRequest' } } } });
    expect(create.responses['201'].headers.Location).toBeDefined();
    expect(create.responses['409']).toEqual({ $ref: '#/components/responses/Problem409' });
    expect(document.paths['/v1/schedules'].get.parameters.map((parameter: Json) => parameter.name)).toEqual(['agent', 'tenantId', 'userId']);
    for (const [path, method] of [
      ['/v1/schedules/{scheduleId}', 'get'],
      ['/v1/schedules/{scheduleId}', 'patch'],
      ['/v1/schedules/{scheduleId}', 'delete'],
      ['/v1/schedules/{scheduleId}/pause', 'post'],
      ['/v1/schedules/{scheduleId}/trigger', 'post'],
    ] as const) {
      expect(document.paths[path][method].responses['404']).toEqual({ $ref: '#/components/responses/Problem404' });
    }
    expect(document.components.responses.Problem404.description).toContain('SCHEDULE_NOT_FOUND');
    expect(document.components.responses.Problem409.description).toContain('SCHEDULE_ALREADY_EXISTS');

    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validator = (name: string) => ajv.compile({ $ref: `#/components/schemas/${name}`, components: document.components });
    const createRequest = validator('CreateScheduleRequest');
    expect(createRequest({ scheduleId: 'daily-report', agent: 'Support', message: 'Summarise', cron: '0 9 * * *', budget: { maxModelCalls: 3 } })).toBe(true);
    expect(createRequest({ scheduleId: 'daily report', agent: 'Support', message: 'Summarise', every: '1 hour' })).toBe(false);
    expect(createRequest({ scheduleId: 'daily', agent: 'Support', every: '1 hour' })).toBe(false);
    const updateRequest = validator('UpdateScheduleRequest');
    expect(updateRequest({})).toBe(true);
    expect(updateRequest({ budget: null, every: 60_000 })).toBe(true);
    expect(updateRequest({ agent: 'Other' })).toBe(false);
  });

  test('declares the bearer scheme; only the probes and the document are public', () => {
    expect(document.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    const publicOperations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
      Object.entries<Json>(item)
        .filter(([, operation]) => Array.isArray(operation.security) && operation.security.length === 0)
        .map(([method]) => `${method} ${path}`),
    );
    expect(publicOperations.sort()).toEqual(['get /healthz', 'get /openapi.json', 'get /readyz']);
  });

  test('its schemas are JSON Schema 2020-12 that accept real payloads and refuse wrong ones', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validator = (name: string) => ajv.compile({ $ref: `#/components/schemas/${name}`, components: document.components });
    // Hoisted definitions (zod's recursive JSON value) are components too, not dangling #/$defs.
    expect(JSON.stringify(document)).not.toContain('#/$defs/');

    const startRequest = validator('StartTaskRequest');
    expect(startRequest({ agent: 'Support', message: 'hi', context: { nested: [1, { a: null }], flag: true } })).toBe(true);
    expect(startRequest({ agent: 'Support', message: [{ type: 'text', text: 'hi' }], taskId: 'my-id' })).toBe(true);
    expect(startRequest({ agent: 'Support' })).toBe(false);
    expect(startRequest({ agent: 'Support', message: 'hi', surprise: 1 })).toBe(false);

    const decide = validator('DecideApprovalRequest');
    expect(decide({ decision: 'approve' })).toBe(true);
    expect(decide({ decision: 'maybe' })).toBe(false);

    const problem = validator('Problem');
    expect(problem({ type: 'https://zap-agents.dev/problems/task-not-found', title: 'Task not found', status: 404, detail: 'x', code: 'TASK_NOT_FOUND' })).toBe(true);
    expect(problem({ title: 'no type' })).toBe(false);

    const status = validator('TaskStatusView');
    const view = {
      taskId: 't-1',
      agent: 'Support',
      status: 'completed',
      waitingFor: { approvals: [], events: [], subTasks: [] },
      counts: { messages: 3, subTasks: 0, approvals: 0 },
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
      lastEventSeq: 4,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:01.000Z',
    };
    expect(status(view)).toBe(true);
    expect(status({ ...view, status: 'sleeping' })).toBe(false);
  });

  test('the base path is the server URL, and /mcp is documented only when mounted', () => {
    const withBase = createOpenApiDocument({ routes: HTTP_ROUTES, basePath: '/zap' }) as Json;
    expect(withBase.servers).toEqual([{ url: '/zap' }]);
    expect(withBase.paths['/mcp']).toBeUndefined();
    expect(openApi31Violations(withBase)).toEqual([]);
    expect(document.paths['/mcp'].post).toBeDefined();
  });
});
