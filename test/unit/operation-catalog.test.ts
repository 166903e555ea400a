import { z } from 'zod';
import {
  OPERATION_CATALOG,
  findOperation,
  operationToolDefinitions,
  startTaskInputSchema,
  waitForTaskInputSchema,
  listTasksInputSchema,
  decideApprovalsInputSchema,
  createScheduleInputSchema,
  updateScheduleInputSchema,
  MAX_BATCH_DECISIONS,
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
    // The schedule operations come after the task operations.
    expect(names.slice(-8)).toEqual([
      'create_schedule',
      'list_schedules',
      'describe_schedule',
      'pause_schedule',
      'unpause_schedule',
      'trigger_schedule',
      'update_schedule',
      'delete_schedule',
    ]);
    for (const operation of OPERATION_CATALOG) {
      expect(operation.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(operation.description.length).toBeGreaterThan(30);
      expect(['read', 'start', 'approve']).toContain(operation.role);
      expect(() => z.toJSONSchema(operation.input, { io: 'input' })).not.toThrow();
      expect(() => z.toJSONSchema(operation.output, { io: 'output' })).not.toThrow();
    }
    expect(findOperation('decide_approval')?.role).toBe('approve');
    expect(findOperation('decide_approvals')).toMatchObject({ role: 'approve', readOnly: false });
    expect(findOperation('start_pipeline')?.role).toBe('start');
    expect(findOperation('nope')).toBeUndefined();
    for (const name of ['list_schedules', 'describe_schedule']) expect(findOperation(name)).toMatchObject({ role: 'read', readOnly: true });
    for (const name of ['create_schedule', 'pause_schedule', 'unpause_schedule', 'trigger_schedule', 'update_schedule', 'delete_schedule']) {
      expect(findOperation(name)).toMatchObject({ role: 'start', readOnly: false });
    }
  });

  it('takes schedule inputs with cron or every, a budget, and refuses unknown fields and bad ids', () => {
    const create = { scheduleId: 'daily-report', agent: 'Support', message: 'Summarise', cron: '0 9 * * *', budget: { maxModelCalls: 2 } };
    expect(parse(createScheduleInputSchema, create)).toEqual(create);
    expect(parse(createScheduleInputSchema, { ...create, cron: undefined, every: 60_000 })).toMatchObject({ every: 60_000 });
    expect(() => parse(createScheduleInputSchema, { ...create, scheduleId: 'has space' })).toThrow(/scheduleId/);
    expect(() => parse(createScheduleInputSchema, { ...create, message: undefined })).toThrow(/message/);
    expect(() => parse(createScheduleInputSchema, { ...create, overlap: 'sometimes' })).toThrow(/overlap/);
    expect(parse(updateScheduleInputSchema, { scheduleId: 'daily-report', budget: null })).toEqual({ scheduleId: 'daily-report', budget: null });
    expect(() => parse(updateScheduleInputSchema, { scheduleId: 'daily-report', agent: 'Other' })).toThrow(/agent/);
    const tool = operationToolDefinitions('openai').find((entry) => (entry.function as { name: string }).name === 'create_schedule') as {
      function: { parameters: { required: string[] } };
    };
    expect(tool.function.parameters.required).toEqual(['scheduleId', 'agent', 'message']);
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
    expect(Object.keys(start.function.parameters.properties)).toEqual(['agent', 'message', 'taskId', 'context', 'approvalPatterns', 'budget']);
    expect(start.function.parameters.required).toEqual(['agent', 'message']);
    expect(anthropic[0]).toEqual({ name: 'start_task', description: expect.any(String), input_schema: start.function.parameters });
    expect(mcp[0]).toMatchObject({ name: 'start_task', inputSchema: start.function.parameters, annotations: { readOnlyHint: false } });
    expect((mcp.find((tool) => tool.name === 'get_task_status') as { annotations: { readOnlyHint: boolean } }).annotations.readOnlyHint).toBe(true);
  });

  it('takes 1 to MAX_BATCH_DECISIONS decisions by approval id, each approve or reject', () => {
    const decisions = { 'a-1': { decision: 'approve' }, 'a-2': { decision: 'reject', reason: 'no' } };
    expect(parse(decideApprovalsInputSchema, { taskId: 't-1', decisions })).toEqual({ taskId: 't-1', decisions });
    expect(() => parse(decideApprovalsInputSchema, { taskId: 't-1', decisions: {} })).toThrow(/1 to 100 decisions/);
    const tooMany = Object.fromEntries(Array.from({ length: MAX_BATCH_DECISIONS + 1 }, (_, index) => [`a-${index}`, { decision: 'approve' }]));
    expect(() => parse(decideApprovalsInputSchema, { taskId: 't-1', decisions: tooMany })).toThrow(ZapValidationError);
    expect(() => parse(decideApprovalsInputSchema, { taskId: 't-1', decisions: { 'a-1': { decision: 'maybe' } } })).toThrow(/decision/);
    expect(() => parse(decideApprovalsInputSchema, { taskId: 't-1', decisions: { 'a-1': { decision: 'approve', extra: 1 } } })).toThrow(/extra/);
    const schema = operationToolDefinitions('openai').find((entry) => (entry.function as { name: string }).name === 'decide_approvals') as {
      function: { parameters: { required: string[] } };
    };
    expect(schema.function.parameters.required).toEqual(['taskId', 'decisions']);
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
