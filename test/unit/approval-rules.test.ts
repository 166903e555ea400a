import { evaluateApprovalCondition, validateApprovalCondition } from '../../src/core/approval-conditions';
import { ApprovalRules, mergeApprovalRuleSpecs, specGatesCall, upgradeApprovalRulesSpec } from '../../src/core/approval-rules';
import { ZapValidationError } from '../../src/core/errors';
import { upgradeWorkflowInput, type AgentWorkflowInput } from '../../src/core/task-state';

describe('approval conditions', () => {
  const refund = { amount: 250, currency: 'USD', customer: { email: 'ana@other.org' } };

  test('value tests compare arguments and context; numeric strings compare as numbers', () => {
    expect(evaluateApprovalCondition({ arg: 'amount', gt: 100 }, refund, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'amount', gt: 100 }, { amount: 50 }, undefined)).toBe(false);
    expect(evaluateApprovalCondition({ arg: 'amount', gt: 100 }, { amount: '250' }, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'amount', gte: 100, lt: 1000 }, refund, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'customer.email', notMatches: '@example\\.com$' }, refund, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'currency', in: ['EUR', 'USD'] }, refund, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ context: 'environment', equals: 'production' }, {}, { environment: 'production' })).toBe(true);
    expect(evaluateApprovalCondition({ context: 'environment', equals: 'production' }, {}, undefined)).toBe(false);
  });

  test('a missing value fails positive tests and passes negative ones', () => {
    expect(evaluateApprovalCondition({ arg: 'amount', gt: 0 }, {}, undefined)).toBe(false);
    expect(evaluateApprovalCondition({ arg: 'amount', exists: false }, {}, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'to', notMatches: '@ours$' }, {}, undefined)).toBe(true);
    expect(evaluateApprovalCondition({ arg: 'to', notIn: ['a'] }, {}, undefined)).toBe(true);
  });

  test('all / any / not combine conditions', () => {
    const condition = { all: [{ arg: 'amount', gt: 100 }, { not: { arg: 'currency', equals: 'EUR' } }] };
    expect(evaluateApprovalCondition(condition, refund, undefined)).toBe(true);
    expect(evaluateApprovalCondition(condition, { ...refund, currency: 'EUR' }, undefined)).toBe(false);
    expect(evaluateApprovalCondition({ any: [{ arg: 'amount', gt: 1000 }, { arg: 'currency', equals: 'USD' }] }, refund, undefined)).toBe(true);
  });

  test('malformed conditions are refused with the path of the problem', () => {
    expect(() => validateApprovalCondition({ arg: 'amount', gt: 'x' }, 'when')).toThrow(/when\.gt must be a finite number/);
    expect(() => validateApprovalCondition({ any: [{ arg: 'a', equals: 1 }, { arg: 'b', bigger: 2 }] }, 'when')).toThrow(
      /when\.any\[1\] has unknown operator 'bigger'/,
    );
    expect(() => validateApprovalCondition({ arg: 'a' }, 'when')).toThrow(/needs an operator/);
    expect(() => validateApprovalCondition({ arg: 'a', context: 'b', equals: 1 }, 'when')).toThrow(/exactly one of 'arg' or 'context'/);
    expect(() => validateApprovalCondition({ arg: 'a', matches: '(' }, 'when')).toThrow(/not a valid regular expression/);
    expect(() => validateApprovalCondition({ arg: 'a b', equals: 1 }, 'when')).toThrow(/dotted path/);
    expect(() => validateApprovalCondition({ all: [] }, 'when')).toThrow(ZapValidationError);
  });
});

describe('ApprovalRules', () => {
  test('conditions gate only the calls they hold for; patterns gate every call', () => {
    const spec = new ApprovalRules({
      patterns: ['delete_*'],
      conditions: [{ tool: 'refund', when: { arg: 'amount', gt: 100 } }, { tool: 'send_*' }],
    }).toSpec();
    expect(specGatesCall(spec, 'refund', { amount: 250 }, undefined)).toBe(true);
    expect(specGatesCall(spec, 'refund', { amount: 50 }, undefined)).toBe(false);
    expect(specGatesCall(spec, 'send_email', {}, undefined)).toBe(true);
    expect(specGatesCall(spec, 'delete_user', {}, undefined)).toBe(true);
    expect(specGatesCall(spec, 'lookup', { amount: 500 }, undefined)).toBe(false);
  });

  test('a predicate in code belongs to an agent: the rules of a task refuse it', () => {
    const rules = new ApprovalRules({ requiresApproval: () => true });
    expect(() => rules.toSpec()).toThrow(/only be an agent's rules/);
    expect(rules.toSpec('Finance')).toMatchObject({ patterns: [], predicates: ['Finance'] });
  });

  test('timeout policies and escalation are validated and compiled', () => {
    expect(new ApprovalRules({ patterns: ['x'] }).toSpec()).toMatchObject({ onTimeout: 'reject', conditions: [], predicates: [] });
    expect(new ApprovalRules({ patterns: ['x'], timeout: '2 hours', onTimeout: 'escalate' }).toSpec().escalation).toEqual({
      timeoutMs: 7_200_000,
      then: 'reject',
    });
    expect(
      new ApprovalRules({ patterns: ['x'], onTimeout: 'escalate', escalation: { timeout: '1 day', then: 'fail' } }).toSpec().escalation,
    ).toEqual({ timeoutMs: 86_400_000, then: 'fail' });
    expect(() => new ApprovalRules({ patterns: ['x'], onTimeout: 'maybe' as never })).toThrow(/onTimeout must be one of/);
    expect(() => new ApprovalRules({ patterns: ['x'], escalation: { timeout: '1 day' } })).toThrow(/only with onTimeout: 'escalate'/);
    expect(() => new ApprovalRules({ patterns: ['x'], onTimeout: 'escalate', escalation: { then: 'escalate' as never } })).toThrow(
      /escalation\.then must be one of/,
    );
    expect(() => new ApprovalRules({})).toThrow(/needs `patterns`, `conditions` or `requiresApproval`/);
    expect(() => new ApprovalRules({ conditions: [{ tool: 'refund', when: { arg: 'amount', gt: 'a' as never } }] })).toThrow(
      /conditions\[0\]\.when\.gt/,
    );
  });

  test('merging keeps both sets of rules and the stricter timeout policy', () => {
    const agent = new ApprovalRules({ conditions: [{ tool: 'refund', when: { arg: 'amount', gt: 100 } }], onTimeout: 'approve', requiresApproval: () => false }).toSpec('Finance');
    const task = new ApprovalRules({ patterns: ['delete_*'], timeout: '1 hour', onTimeout: 'fail' }).toSpec();
    const merged = mergeApprovalRuleSpecs(agent, task);
    expect(merged).toMatchObject({ patterns: ['delete_*'], predicates: ['Finance'], onTimeout: 'fail', timeoutMs: 3_600_000 });
    expect(merged?.conditions).toHaveLength(1);
    const escalating = new ApprovalRules({ patterns: ['x'], onTimeout: 'escalate', escalation: { timeout: '3 hours', then: 'approve' } }).toSpec();
    expect(mergeApprovalRuleSpecs(escalating, new ApprovalRules({ patterns: ['y'] }).toSpec())).toMatchObject({
      onTimeout: 'escalate',
      escalation: { timeoutMs: 10_800_000, then: 'approve' },
    });
    expect(mergeApprovalRuleSpecs(agent, undefined)).toBe(agent);
  });

  test('rules stored before 0.2.0 get their defaults in the state upgrade', () => {
    const old = { patterns: ['transfer_*'], timeoutMs: 1000, inherit: true };
    expect(upgradeApprovalRulesSpec(old)).toEqual({ ...old, conditions: [], predicates: [], onTimeout: 'reject' });
    const input = upgradeWorkflowInput({
      taskId: 't',
      message: 'hi',
      agent: { agentName: 'A', systemPrompt: 's', approvalRules: old },
      approvalRules: old,
    } as unknown as AgentWorkflowInput);
    expect(input.approvalRules).toEqual({ ...old, conditions: [], predicates: [], onTimeout: 'reject' });
    expect(input.agent.approvalRules).toEqual({ ...old, conditions: [], predicates: [], onTimeout: 'reject' });
  });
});
