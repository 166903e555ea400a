/**
 * withHeartbeats: no heartbeat when the activity starts (each would cost an RPC and a write of
 * the workflow's state), heartbeats every quarter of the heartbeat timeout after that, each
 * naming the worker, and details set by the activity sent at once with the worker added.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityHeartbeat, HEARTBEAT_WORKER_IDENTITY, takesOver, withHeartbeats } from '../../src/activities/heartbeats';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordHeartbeats(environment: MockActivityEnvironment): unknown[] {
  const beats: unknown[] = [];
  environment.on('heartbeat', (details: unknown) => beats.push(details));
  return beats;
}

describe('withHeartbeats', () => {
  test('a call that ends before the first interval sends no heartbeat', async () => {
    const environment = new MockActivityEnvironment({ heartbeatTimeoutMs: 4_000 });
    const beats = recordHeartbeats(environment);
    await expect(environment.run(() => withHeartbeats(async () => 'done'))).resolves.toBe('done');
    expect(beats).toEqual([]);
  });

  test('a longer call heartbeats at a quarter of the timeout, naming the worker', async () => {
    const environment = new MockActivityEnvironment({ heartbeatTimeoutMs: 800 });
    const beats = recordHeartbeats(environment);
    let beatsWhenWorkStarted = -1;
    await environment.run(() =>
      withHeartbeats(async () => {
        beatsWhenWorkStarted = beats.length;
        // Long enough for a few 200 ms intervals on a busy machine; the count is not asserted exactly.
        while (beats.length < 3) await sleep(50);
      }),
    );
    expect(beatsWhenWorkStarted).toBe(0);
    expect(beats.slice(0, 3)).toEqual([{ worker: HEARTBEAT_WORKER_IDENTITY }, { worker: HEARTBEAT_WORKER_IDENTITY }, { worker: HEARTBEAT_WORKER_IDENTITY }]);
    const beatsAfterReturn = beats.length;
    await sleep(400);
    expect(beats).toHaveLength(beatsAfterReturn);
  });

  test('details set by the activity go out at once, with the worker, and later beats repeat them', async () => {
    const environment = new MockActivityEnvironment({ heartbeatTimeoutMs: 400 });
    const beats = recordHeartbeats(environment);
    const heartbeat = new ActivityHeartbeat(true);
    await environment.run(() =>
      withHeartbeats(async () => {
        heartbeat.setDetails({ budgetCharge: { usd: 0.01 } });
        expect(beats).toEqual([{ budgetCharge: { usd: 0.01 }, worker: HEARTBEAT_WORKER_IDENTITY }]);
        while (beats.length < 2) await sleep(20);
      }, heartbeat),
    );
    expect(beats[1]).toEqual({ budgetCharge: { usd: 0.01 }, worker: HEARTBEAT_WORKER_IDENTITY });
  });

  test('an activity without a heartbeat timeout runs without heartbeats', async () => {
    const environment = new MockActivityEnvironment({ heartbeatTimeoutMs: undefined });
    const beats = recordHeartbeats(environment);
    await environment.run(() => withHeartbeats(() => sleep(150)));
    expect(beats).toEqual([]);
  });
});

describe('takeover', () => {
  test('a retried attempt takes over when the last heartbeat names another worker or none', () => {
    expect(takesOver({ attempt: 1, heartbeatDetails: undefined })).toBe(false);
    expect(takesOver({ attempt: 2, heartbeatDetails: { worker: HEARTBEAT_WORKER_IDENTITY } })).toBe(false);
    expect(takesOver({ attempt: 2, heartbeatDetails: { worker: '123@elsewhere/abcd', budgetCharge: {} } })).toBe(true);
    // Died before its first heartbeat, or ran by a zap-agents that sent no worker.
    expect(takesOver({ attempt: 3, heartbeatDetails: undefined })).toBe(true);
    expect(takesOver({ attempt: 2, heartbeatDetails: { budgetCharge: {} } })).toBe(true);
  });
});
