import { buildTaskListQuery, quoteQueryValue, type TaskListFilter } from '../../src/client/visibility-query';

const BASE = "WorkflowType = 'agentWorkflow' AND TaskQueue = 'zap-agents' AND ExecutionStatus != 'ContinuedAsNew'";

function query(filter: Partial<TaskListFilter>): string {
  return buildTaskListQuery({ workflowType: 'agentWorkflow', taskQueue: 'zap-agents', searchAttributes: true, ...filter });
}

describe('quoteQueryValue', () => {
  test('wraps a value in single quotes', () => {
    expect(quoteQueryValue('acme')).toBe("'acme'");
  });

  test('escapes quotes, backslashes and line breaks so no value can end the literal', () => {
    expect(quoteQueryValue("o'reilly")).toBe("'o\\'reilly'");
    expect(quoteQueryValue('say "hi"')).toBe(`'say "hi"'`);
    expect(quoteQueryValue('back\\slash')).toBe("'back\\\\slash'");
    expect(quoteQueryValue("\\'")).toBe("'\\\\\\''");
    expect(quoteQueryValue('a\nb\rc\td\0e')).toBe("'a\\nb\\rc\\td\\0e'");
  });

  test('a value built to inject a clause stays one literal', () => {
    const hostile = "x' OR TaskQueue != '";
    const literal = quoteQueryValue(hostile);
    expect(literal).toBe("'x\\' OR TaskQueue != \\''");
    // Every quote inside is escaped: the only unescaped ones are the two delimiters.
    expect(literal.replace(/\\\\/g, '').replace(/\\'/g, '').split("'")).toHaveLength(3);
  });
});

describe('buildTaskListQuery', () => {
  test('without filters: the Zap\'s agent workflows, current runs only', () => {
    expect(query({})).toBe(BASE);
  });

  test('filters on the zap-agents search attributes', () => {
    expect(query({ agentName: 'Support', tenantId: "o'reilly", userId: 'ann', parentTaskId: 'root-1' })).toBe(
      `${BASE} AND ZapAgent = 'Support' AND ZapTenant = 'o\\'reilly' AND ZapUser = 'ann' AND ZapParent = 'root-1'`,
    );
  });

  test('a running status is ZapStatus of a running workflow', () => {
    expect(query({ statuses: ['awaiting_approval'] })).toBe(`${BASE} AND (ExecutionStatus = 'Running' AND ZapStatus = 'awaiting_approval')`);
  });

  test('outcomes also come from the Temporal close status', () => {
    expect(query({ statuses: ['completed'] })).toBe(
      `${BASE} AND (ExecutionStatus = 'Completed' OR (ExecutionStatus = 'Running' AND ZapStatus = 'completed'))`,
    );
    expect(query({ statuses: ['failed'] })).toBe(`${BASE} AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`);
    expect(query({ statuses: ['cancelled'] })).toBe(`${BASE} AND ExecutionStatus = 'Canceled'`);
  });

  test('several statuses are alternatives, each once', () => {
    expect(query({ statuses: ['pending', 'cancelled', 'pending'] })).toBe(
      `${BASE} AND ((ExecutionStatus = 'Running' AND ZapStatus = 'pending') OR ExecutionStatus = 'Canceled')`,
    );
  });

  test('the creation range is on StartTime, in ISO-8601', () => {
    expect(query({ createdAfter: new Date('2026-01-02T03:04:05.006Z'), createdBefore: new Date('2026-02-01T00:00:00.000Z') })).toBe(
      `${BASE} AND StartTime > '2026-01-02T03:04:05.006Z' AND StartTime < '2026-02-01T00:00:00.000Z'`,
    );
  });

  test('without search attributes: the parent through ParentWorkflowId, the agent left to the caller', () => {
    expect(query({ searchAttributes: false, agentName: 'Support', parentTaskId: "p'1" })).toBe(`${BASE} AND ParentWorkflowId = 'p\\'1'`);
  });

  test('the task queue and workflow type are escaped too', () => {
    expect(buildTaskListQuery({ workflowType: 'agentWorkflow', taskQueue: "team's queue", searchAttributes: false })).toContain(
      "TaskQueue = 'team\\'s queue'",
    );
  });
});
