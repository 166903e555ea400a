import { z } from 'zod';
import { defaultMcpClientInfo } from '../mcp/mcp-client-info';
import type { HttpParameter, HttpRoute } from './http-routes';
import { PROBLEM_CONTENT_TYPE, PROBLEM_STATUS, problemDetailsSchema } from './problem-details';

/** The OpenAPI version the document follows. */
export const OPENAPI_VERSION = '3.1.0';
/** Name of the bearer security scheme in the document. */
export const BEARER_SECURITY_SCHEME = 'bearerAuth';

/** Options of {@link createOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  routes: readonly HttpRoute[];
  /** The API's base path: the document's server URL. @default '' */
  basePath?: string;
  /** Whether `/mcp` is mounted (then documented too). @default false */
  mcp?: boolean;
}

type JsonSchema = Record<string, unknown>;

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (ZAP_VALIDATION) or malformed JSON (MALFORMED_JSON).',
  401: 'No credentials, or credentials that are not accepted (UNAUTHENTICATED).',
  403: 'The principal lacks the role the operation needs, or the server\'s authorization refuses its decision (PERMISSION_DENIED, with approvalIds).',
  404: 'No such task, approval, event or route, or a task or schedule of another tenant (TASK_NOT_FOUND, APPROVAL_NOT_FOUND with approvalIds, UNKNOWN_EVENT, PIPELINE_NOT_FOUND, SCHEDULE_NOT_FOUND, ROUTE_NOT_FOUND).',
  409: 'The task takes no more of this (TASK_CLOSED, EVENT_BUFFER_FULL), or the schedule id is taken (SCHEDULE_ALREADY_EXISTS).',
  413: 'The body is larger than the limit (PAYLOAD_TOO_LARGE).',
  415: 'The body is not application/json (UNSUPPORTED_MEDIA_TYPE).',
  422: 'Well-formed but not acceptable: unknown agent, event data failing its schema, images for a model without vision, a USD budget for a model without a price (AGENT_NOT_FOUND, EVENT_VALIDATION, VISION_NOT_SUPPORTED, MODEL_PRICE_UNKNOWN).',
  500: 'Unexpected error; details are in the server log only (INTERNAL_ERROR).',
  503: 'No worker polls the task queue, or Temporal cannot be reached (NO_WORKER, ZAP_CONNECTION, NOT_READY).',
};

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the routes and the operations' zod
 * schemas (JSON Schema draft 2020-12, OpenAPI 3.1's dialect): every route with its parameters,
 * request body, answers and problem answers, the `Problem` schema and the bearer scheme.
 */
export function createOpenApiDocument(options: OpenApiDocumentOptions): Record<string, unknown> {
  const { routes, basePath = '', mcp = false } = options;
  const components = new SchemaComponents();
  const problemStatuses = new Set<number>();
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of routes) {
    route.problems.forEach((status) => problemStatuses.add(status));
    const responses: Record<string, unknown> = {
      [String(route.response.status)]: {
        description: route.response.description,
        ...(route.response.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(route.response.headers).map(([name, header]) => [name, { description: header.description, schema: { type: 'string' } }]),
              ),
            }
          : {}),
        content:
          route.response.contentType === 'text/event-stream'
            ? {
                'text/event-stream': {
                  schema: { type: 'string', description: 'Server-sent events; the data of each is a TaskEvent.' },
                  'x-zap-event-schema': { $ref: components.add(route.response.name, route.response.schema, 'output') },
                },
              }
            : { 'application/json': { schema: { $ref: components.add(route.response.name, route.response.schema, 'output') } } },
      },
    };
    for (const status of route.problems) responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      tags: [route.path.startsWith('/v1/schedules') ? 'schedules' : route.path.startsWith('/v1/') ? 'tasks' : 'service'],
      ...(route.authenticated ? {} : { security: [] }),
      ...(route.parameters.length > 0 ? { parameters: route.parameters.map((parameter) => describeParameter(parameter)) } : {}),
      ...(route.requestBody
        ? {
            requestBody: {
              description: route.requestBody.description,
              required: route.requestBody.required,
              content: { 'application/json': { schema: { $ref: components.add(route.requestBody.name, route.requestBody.schema, 'input') } } },
            },
          }
        : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method] = operation;
  }

  if (mcp) {
    [401, 500].forEach((status) => problemStatuses.add(status));
    const mcpOperation = (method: string) => ({
      operationId: `mcp${method[0]!.toUpperCase()}${method.slice(1)}`,
      summary: `MCP Streamable HTTP (${method.toUpperCase()})`,
      description: 'The operations as MCP tools (Streamable HTTP transport), for the authenticated principal.',
      tags: ['mcp'],
      responses: {
        '200': { description: 'An MCP message, or a stream of them.' },
        '401': { $ref: '#/components/responses/Problem401' },
      },
    });
    paths['/mcp'] = { post: mcpOperation('post'), get: mcpOperation('get'), delete: mcpOperation('delete') };
  }

  const problemRef = components.add('Problem', problemDetailsSchema, 'output');
  const responses = Object.fromEntries(
    [...problemStatuses]
      .sort((left, right) => left - right)
      .map((status) => [
        `Problem${status}`,
        { description: PROBLEM_DESCRIPTIONS[status] ?? titleOfStatus(status), content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: problemRef } } } },
      ]),
  );

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'zap-agents HTTP API',
      version: defaultMcpClientInfo().version,
      description:
        'Durable LLM agent tasks on Temporal: start, follow, message, approve, cancel. Errors are RFC 9457 problem details ' +
        '(application/problem+json) with a stable `code`.',
    },
    servers: [{ url: basePath === '' ? '/' : basePath }],
    security: [{ [BEARER_SECURITY_SCHEME]: [] }],
    tags: [
      { name: 'tasks', description: 'Agent tasks.' },
      { name: 'schedules', description: 'Agent tasks on a timetable (Temporal Schedules).' },
      { name: 'service', description: 'Probes and this document.' },
      ...(mcp ? [{ name: 'mcp', description: 'Model Context Protocol endpoint.' }] : []),
    ],
    paths,
    components: {
      schemas: components.schemas,
      responses,
      securitySchemes: {
        [BEARER_SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'A token your `authenticate` function accepts.' },
      },
    },
  };
}

/** A parameter object; query lists are `form`-exploded (`?status=a&status=b`; commas work too). */
function describeParameter(parameter: HttpParameter): Record<string, unknown> {
  const schema = inlineSchema(parameter.schema);
  return {
    name: parameter.name,
    in: parameter.in,
    description: parameter.description,
    required: parameter.in === 'path' ? true : false,
    ...(parameter.list ? { style: 'form', explode: true } : {}),
    schema,
  };
}

/** A small schema (a parameter's) inline, without `$schema`. */
function inlineSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(unwrapOptional(schema), { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function unwrapOptional(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
}

function titleOfStatus(status: number): string {
  return Object.values(PROBLEM_STATUS).find((entry) => entry.status === status)?.title ?? 'Error';
}

/**
 * The document's `components.schemas`: one JSON Schema per named body or answer. The `$defs`
 * zod writes (for recursive schemas such as JSON values) are hoisted into components too,
 * because a `#/$defs/…` reference inside a component would resolve against the document's root.
 */
class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  /** Hoisted definitions by their content, so identical ones are written once. */
  private readonly hoisted = new Map<string, string>();

  /** Adds a component (once per name) and returns its `$ref`. */
  add(name: string, schema: z.ZodType, io: 'input' | 'output'): string {
    if (!(name in this.schemas)) {
      const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
      delete json.$schema;
      const definitions = (json.$defs ?? {}) as Record<string, JsonSchema>;
      delete json.$defs;
      const renamed = new Map<string, string>();
      for (const [definition, content] of Object.entries(definitions)) {
        const key = JSON.stringify(content);
        const existing = this.hoisted.get(key);
        const target = existing ?? this.uniqueName(isJsonValueSchema(content, definition) ? 'JsonValue' : `${name}${capitalize(definition)}`);
        renamed.set(definition, target);
        if (existing === undefined) this.hoisted.set(key, target);
      }
      for (const [definition, target] of renamed) {
        if (!(target in this.schemas)) this.schemas[target] = rewriteReferences(definitions[definition]!, renamed, name);
      }
      this.schemas[name] = rewriteReferences(json, renamed, name);
    }
    return `#/components/schemas/${name}`;
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let index = 2; name in this.schemas; index += 1) name = `${base}${index}`;
    return name;
  }
}

/**
 * `#/$defs/<name>` → `#/components/schemas/<renamed>`, and a root self-reference `#` → the
 * component's own, everywhere in a schema.
 */
function rewriteReferences(schema: JsonSchema, renamed: ReadonlyMap<string, string>, component: string): JsonSchema {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        if (key === '$ref' && item === '#') return [key, `#/components/schemas/${component}`];
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
          const target = renamed.get(item.slice('#/$defs/'.length));
          return [key, target !== undefined ? `#/components/schemas/${target}` : item];
        }
        return [key, visit(item)];
      }),
    );
  };
  return visit(schema) as JsonSchema;
}

/** zod's schema of any JSON value: an anyOf of the six JSON types, recursive through its own name. */
function isJsonValueSchema(content: JsonSchema, definition: string): boolean {
  const variants = content.anyOf;
  if (!Array.isArray(variants) || variants.length !== 6) return false;
  const types = variants.map((variant) => (variant as JsonSchema).type).sort();
  return JSON.stringify(types) === JSON.stringify(['array', 'boolean', 'null', 'number', 'object', 'string']) && JSON.stringify(content).includes(`#/$defs/${definition}`);
}

function capitalize(text: string): string {
  const trimmed = text.replace(/^_+/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
