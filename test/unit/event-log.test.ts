import { EventLog } from '../../src/core/event-log';
import type { TaskEvent } from '../../src/core/events';

const NOW = new Date('2025-01-02T03:04:05.000Z');

function appendThinking(log: EventLog, count: number): TaskEvent[] {
  return Array.from({ length: count }, (_, index) => log.append({ type: 'thinking', iteration: index + 1, callIndex: index + 1 }, NOW));
}

function seqs(events: readonly TaskEvent[]): number[] {
  return events.map((event) => event.seq);
}

describe('EventLog', () => {
  it('stamps each event with a strictly increasing seq, the time and the task id', () => {
    const log = new EventLog('task-1', 100);
    const first = log.append({ type: 'thinking', iteration: 1, callIndex: 1 }, NOW);
    const second = log.append({ type: 'completed', result: 'done' }, NOW);

    expect(first).toEqual({ type: 'thinking', iteration: 1, callIndex: 1, seq: 1, timestamp: NOW.toISOString(), taskId: 'task-1' });
    expect(second).toMatchObject({ type: 'completed', result: 'done', seq: 2, taskId: 'task-1' });
    expect(log.latestSeq()).toBe(2);
  });

  it('starts empty: nothing since 0, first retained seq is 1', () => {
    const log = new EventLog('task-1', 100);
    expect(log.since(0)).toEqual([]);
    expect(log.latestSeq()).toBe(0);
    expect(log.firstRetainedSeq()).toBe(1);
  });

  it('returns only events with seq greater than since, oldest first', () => {
    const log = new EventLog('task-1', 100);
    appendThinking(log, 5);

    expect(seqs(log.since(0))).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(log.since(3))).toEqual([4, 5]);
    expect(seqs(log.since(5))).toEqual([]);
    expect(seqs(log.since(42))).toEqual([]);
  });

  it('keeps only the newest `limit` events, dropping the oldest', () => {
    const log = new EventLog('task-1', 3);
    appendThinking(log, 5);

    expect(seqs(log.since(0))).toEqual([3, 4, 5]);
    expect(log.firstRetainedSeq()).toBe(3);
    expect(log.latestSeq()).toBe(5);
  });

  it('returns everything it still holds when since is below the retained window', () => {
    const log = new EventLog('task-1', 3);
    appendThinking(log, 6);

    // Seqs 1-3 were dropped; a consumer at 1 gets what is left and sees the gap via firstRetainedSeq.
    expect(seqs(log.since(1))).toEqual([4, 5, 6]);
    expect(seqs(log.since(3))).toEqual([4, 5, 6]);
    expect(seqs(log.since(4))).toEqual([5, 6]);
  });

  it('does not let callers mutate its events through since()', () => {
    const log = new EventLog('task-1', 10);
    appendThinking(log, 2);
    log.since(0).pop();
    expect(seqs(log.since(0))).toEqual([1, 2]);
  });

  it('continues numbering from a saved state, as after continue-as-new', () => {
    const before = new EventLog('task-1', 3);
    appendThinking(before, 4);
    const state = JSON.parse(JSON.stringify(before.toState()));

    const after = new EventLog('task-1', 3, state);
    expect(after.latestSeq()).toBe(4);
    expect(after.firstRetainedSeq()).toBe(2);
    expect(seqs(after.since(2))).toEqual([3, 4]);

    const next = after.append({ type: 'completed', result: 'ok' }, NOW);
    expect(next.seq).toBe(5);
    expect(seqs(after.since(0))).toEqual([3, 4, 5]);
  });

  it('keeps numbering after continue-as-new even when no event was retained', () => {
    const after = new EventLog('task-1', 10, { events: [], lastSeq: 7 });
    expect(after.firstRetainedSeq()).toBe(8);
    expect(after.since(0)).toEqual([]);
    expect(after.append({ type: 'thinking', iteration: 1, callIndex: 1 }, NOW).seq).toBe(8);
  });

  it('does not share its event array with the state it was given or the state it returns', () => {
    const state = { events: [] as TaskEvent[], lastSeq: 0 };
    const log = new EventLog('task-1', 10, state);
    appendThinking(log, 1);
    expect(state.events).toEqual([]);

    const saved = log.toState();
    appendThinking(log, 1);
    expect(seqs(saved.events)).toEqual([1]);
    expect(saved.lastSeq).toBe(1);
  });
});
