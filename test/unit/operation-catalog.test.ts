import { z } from 'zod';
import {
  OPERATION_CATALOG,
  findOperation,
  operationToolDefinitions,
  startTaskInputSchema,
  waitForTaskInputSchema,
  listTasksInputSchema,
} from '../../src/operations';
import { parse } from '../../src/operations/zap-operations';
import { ZapValidationError } from '../../src/core/errors';

describe('operation catalog', () => {
  it('names every operation once, in snake_case, with a description, a role and JSON schemas', () => {
    const names = OPERATION_CATALOG.map((operation) => operation.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining(['start_task', 'start_pipeline', 'get_task_status', 'get_task_history', 'send_message', 'list_pending_approvals', 'decide_approval', 'deliver_event', 'wait_for_task', 'cancel_task', 'list_tasks', 'get_task_usage']),
    );
    for (const operation of OPERATION_CATALOG) {
      expect(operation.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(operation.description.length).toBeGreaterThan(30);
      expect(['read', 'start', 'approve']).toContain(operation.role);
      expect(() => z.toJSONSchema(operation.input, { io: 'input' })).not.toThrow();
      expect(() => z.toJSONSchema(operation.output, { io: 'output' })).not.toThrow();
    }
    expect(findOperation('decide_approval')?.role).toBe('approve');
    expect(findOperation('start_pipeline')?.role).toBe('start');
    expect(findOperation('nope')).toBeUndefined();
  });

  it('writes OpenAI, Anthropic and MCP tool definitions from the same schemas', () => {
    const openai = operationToolDefinitions('openai');
    const anthropic = operationToolDefinitions('anthropic');
    const mcp = operationToolDefinitions('mcp');
    expect(openai).toHaveLength(OPERATION_CATALOG.length);
    const start = openai.find((tool) => (tool.function as { name: string }).name === 'start_task') as {
      type: string;
      function: { parameters: { type: string; properties: Record<string, unknown>; required: string[] } };
    };
    expect(start.type).toBe('function');
    expect(start.function.parameters.type).toBe('object');
    expect(Object.keys(start.function.parameters.properties)).toEqual(['agent', 'message', 'taskId', 'context', 'approvalPatterns']);
    expect(start.function.parameters.required).toEqual(['agent', 'message']);
    expect(anthropic[0]).toEqual({ name: 'start_task', description: expect.any(String), input_schema: start.function.parameters });
    expect(mcp[0]).toMatchObject({ name: 'start_task', inputSchema: start.function.parameters, annotations: { readOnlyHint: false } });
    expect((mcp.find((tool) => tool.name === 'get_task_status') as { annotations: { readOnlyHint: boolean } }).annotations.readOnlyHint).toBe(true);
  });

  it('parses inputs with defaults and refuses bad ones with a validation error naming the field', () => {
    expect(parse(waitForTaskInputSchema, { taskId: 't-1' })).toEqual({ taskId: 't-1', timeoutSeconds: 60 });
    expect(parse(listTasksInputSchema, {})).toEqual({ pageSize: 100 });
    const error = (() => {
      try {
        parse(startTaskInputSchema, { agent: 'Support', message: '', extra: 1 });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a validation error');
    })();
    expect(error).toBeInstanceOf(ZapValidationError);
    expect(error.message).toMatch(/message/);
    expect(error.message).toMatch(/extra/);
    expect(() => parse(waitForTaskInputSchema, { taskId: 't', timeoutSeconds: 99_999 })).toThrow(ZapValidationError);
  });
});
