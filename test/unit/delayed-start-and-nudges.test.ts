import { readFileSync } from 'node:fs';
import { ZapAgent, ZapConfigurationError, ZapValidationError } from '../../src';
import { readStartDelay } from '../../src/client/delayed-start';
import { isNotStartedQueryError } from '../../src/core/not-started-query';
import { initialTaskState, upgradeWorkflowInput, type AgentWorkflowInput } from '../../src/core/task-state';
import { loadRecordedHistories } from '../../src/testing/replay-histories';

/** The workflow inputs of the recorded 0.1.0 histories (decoded from their first event). */
function recordedInputs(): AgentWorkflowInput[] {
  return loadRecordedHistories(`${__dirname}/../replay/histories`).filter((history) => history.set === '0.1.0').map((history) => {
    const json = JSON.parse(readFileSync(history.file, 'utf8'));
    const payload = json.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    return JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as AgentWorkflowInput;
  });
}

describe('delayed start options', () => {
  const now = Date.parse('2030-01-01T12:00:00.000Z');

  test('startAt (a Date or ISO string) and startDelay (a duration) become a delay in milliseconds', () => {
    expect(readStartDelay({}, now)).toBeUndefined();
    expect(readStartDelay({ startAt: new Date(now + 90_000) }, now)).toBe(90_000);
    expect(readStartDelay({ startAt: '2030-01-01T13:00:00+00:00' }, now)).toBe(3_600_000);
    expect(readStartDelay({ startDelay: '2 hours' }, now)).toBe(7_200_000);
    expect(readStartDelay({ startDelay: 1500 }, now)).toBe(1500);
  });

  test.each([
    [{ startAt: new Date(now + 1000), startDelay: '1 minute' }, /not both/],
    [{ startAt: new Date(now) }, /not in the future/],
    [{ startAt: '2029-12-31T00:00:00Z' }, /not in the future/],
    [{ startAt: 'next tuesday' }, /must be a Date or an ISO-8601 time/],
    [{ startAt: 12345 }, /must be a Date or an ISO-8601 time/],
    [{ startDelay: -1 }, /positive duration/],
    [{ startDelay: 0 }, /positive duration/],
    [{ startDelay: 'a while' }, /not a duration/],
  ])('refuses %j', (options, message) => {
    expect(() => readStartDelay(options as never, now)).toThrow(ZapValidationError);
    expect(() => readStartDelay(options as never, now)).toThrow(message);
  });

  test('recognises the refusal of a query to a workflow whose start delay has not passed', () => {
    const refusal = Object.assign(new Error('Failed to query Workflow'), {
      cause: Object.assign(new Error('9 FAILED_PRECONDITION: Workflow task is not scheduled yet.'), { code: 9, details: 'Workflow task is not scheduled yet.' }),
    });
    expect(isNotStartedQueryError(refusal)).toBe(true);
    expect(isNotStartedQueryError(Object.assign(new Error('x'), { cause: { code: 9, details: 'Workflow Task in failed state' } }))).toBe(false);
    expect(isNotStartedQueryError(Object.assign(new Error('x'), { cause: { code: 4, details: 'Workflow task is not scheduled yet.' } }))).toBe(false);
    expect(isNotStartedQueryError(undefined)).toBe(false);
  });
});

describe('nudges', () => {
  test('an agent nudge travels in the task settings', () => {
    const agent = new ZapAgent({ name: 'Concierge', prompt: 'Hi.', nudge: { after: '24 hours', message: 'Any news?' } });
    expect(agent.nudge).toEqual({ afterMs: 86_400_000, message: 'Any news?' });
    expect(agent.taskSettings(undefined).nudge).toEqual({ afterMs: 86_400_000, message: 'Any news?' });
    expect(new ZapAgent({ name: 'Quiet', prompt: 'Hi.' }).taskSettings(undefined).nudge).toBeUndefined();
  });

  test.each([
    [{ after: 'soon', message: 'x' }, /nudge.after "soon" is not a duration/],
    [{ after: 0, message: 'x' }, /nudge.after must be a positive duration/],
    [{ after: '1 hour', message: ' ' }, /nudge.message must be a non-empty string/],
    [{ after: '1 hour', message: 'x'.repeat(4097) }, /at most 4096 characters/],
    ['daily', /nudge must be an object/],
  ])('refuses nudge %j', (nudge, message) => {
    expect(() => new ZapAgent({ name: 'Bad', prompt: 'Hi.', nudge: nudge as never })).toThrow(ZapConfigurationError);
    expect(() => new ZapAgent({ name: 'Bad', prompt: 'Hi.', nudge: nudge as never })).toThrow(message);
  });
});

describe('state defaults of schedules and nudges (0.2.0 fields)', () => {
  const inputs = recordedInputs();

  test('older tasks take their id as given, have no schedule, no nudge, and no nudge sent', () => {
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      const upgraded = upgradeWorkflowInput(input);
      expect(upgraded.taskIdFromWorkflowId).toBe(false);
      expect(upgraded.scheduleId).toBeUndefined();
      expect(upgraded.agent.nudge).toBeUndefined();
      if (upgraded.carried) expect(upgraded.carried.nudged).toBe(false);
    }
    expect(initialTaskState(upgradeWorkflowInput(inputs[0]!)).nudged).toBe(false);
  });

  test('keeps what a newer task carries', () => {
    const input = inputs.find((candidate) => candidate.carried)!;
    const upgraded = upgradeWorkflowInput({
      ...input,
      taskIdFromWorkflowId: true,
      scheduleId: 'daily',
      agent: { ...input.agent, nudge: { afterMs: 1000, message: 'Still there?' } },
      carried: { ...input.carried!, nudged: true },
    });
    expect(upgraded).toMatchObject({ taskIdFromWorkflowId: true, scheduleId: 'daily', agent: { nudge: { afterMs: 1000, message: 'Still there?' } } });
    expect(upgraded.carried?.nudged).toBe(true);
  });
});
