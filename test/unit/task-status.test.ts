import { TaskStatus, isActiveStatus, isTerminalStatus } from '../../src/core/task-status';

describe('TaskStatus', () => {
  it('uses the documented wire values', () => {
    expect(Object.values(TaskStatus).sort()).toEqual(
      ['awaiting_approval', 'awaiting_event', 'awaiting_tool', 'cancelled', 'completed', 'failed', 'pending', 'thinking'].sort(),
    );
  });

  it.each([TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled])('%s is terminal, not active', (status) => {
    expect(isTerminalStatus(status)).toBe(true);
    expect(isActiveStatus(status)).toBe(false);
  });

  it.each([TaskStatus.Pending, TaskStatus.Thinking, TaskStatus.AwaitingTool, TaskStatus.AwaitingApproval, TaskStatus.AwaitingEvent])(
    '%s is active, not terminal',
    (status) => {
      expect(isActiveStatus(status)).toBe(true);
      expect(isTerminalStatus(status)).toBe(false);
    },
  );
});
