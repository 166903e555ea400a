import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadRecordedHistories, replayHistories, type HistoryReplayResult } from '../../src/testing/replay-histories';
import { zapWorkflowPreloadModules } from '../../src/worker/workflow-code';

/**
 * The replay gate: every committed history set (one per release, recorded with
 * `npm run record-histories`) must replay against the current workflow code without a
 * nondeterminism or workflow-task error. A failure here means an open task of that release would
 * be wedged by a deploy of this code: put the change behind `patched('zap-<change>')` or give the
 * new state field a default in the state migration.
 */
const HISTORIES = join(__dirname, 'histories');
const QUIET = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

async function bundle(workflowsPath: string, preloadModules: string[] = []): Promise<{ codePath: string }> {
  const { code } = await bundleWorkflowCode({ workflowsPath, preloadModules, logger: QUIET });
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = join(mkdtempSync(join(tmpdir(), 'zap-replay-')), 'bundle.js');
  writeFileSync(path, code);
  return { codePath: path };
}

function describeFailures(results: HistoryReplayResult[]): string {
  return results
    .filter((result) => result.error)
    .map((result) => `${result.history.set}/${result.history.file.split('/').pop()}: ${result.error?.message.split('\n')[0]}`)
    .join('\n');
}

const histories = loadRecordedHistories(HISTORIES);

describe('replay gate', () => {
  test('the committed history sets cover the scenarios of the 0.1.0 release', () => {
    const scenarios = new Set(histories.filter((history) => history.set === '0.1.0').map((history) => history.scenario));
    for (const scenario of [
      'plain-answer',
      'parallel-tool-calls',
      'tool-error',
      'follow-up-after-answer',
      'follow-up-mid-turn',
      'approval-approved',
      'approval-rejected',
      'approval-timed-out',
      'approvals-several-pending',
      'sub-agent-delegation',
      'continue-as-new',
      'state-too-large-to-carry',
      'cancelled-during-tool',
      'cancelled-while-idle',
      'cancelled-during-model-call',
      'failed-max-iterations',
      'failed-provider-400',
      'tool-outcome-unknown',
      'streamed-with-tokens',
    ]) {
      expect(scenarios).toContain(scenario);
    }
  });

  test('the 0.2.0 set covers every 0.1.0 scenario and the paths 0.2.0 added', () => {
    const scenarios = new Set(histories.filter((history) => history.set === '0.2.0').map((history) => history.scenario));
    const earlier = new Set(histories.filter((history) => history.set === '0.1.0').map((history) => history.scenario));
    for (const scenario of earlier) expect(scenarios).toContain(scenario);
    for (const scenario of [
      'named-events',
      'structured-output-repaired',
      'stuck-retry',
      'lifecycle-hooks',
      'pipeline-gate-approved',
      'approval-conditions',
      'approval-predicate',
      'approval-timeout-approve',
      'approval-escalated-rejected',
      'approvals-batch-decision',
      'budget-max-usd-stopped',
      'budget-ask-raised',
      'budget-sub-agent',
      'budget-max-tool-calls',
      'run-agent',
      'nudge-fired',
      'delayed-start',
      'scheduled-run',
      'tenant-budget-workflow',
    ]) {
      expect(scenarios).toContain(scenario);
    }
  });

  // As workers run it: zap's modules preloaded, so every history replays through modules evaluated
  // once and shared by all. Each set replays twice in one replay worker: state a run left in a
  // shared module (a counter, a cache) would change the second replay's commands and fail it.
  test('every committed history replays against the current workflow code', async () => {
    const twice = [...histories, ...histories];
    const results = await replayHistories({
      histories: twice,
      workflowBundle: await bundle(require.resolve('../../src/workflows/index'), zapWorkflowPreloadModules()),
    });
    expect(results).toHaveLength(twice.length);
    expect(describeFailures(results)).toBe('');
  }, 120_000);

  describe('the gate can fail', () => {
    test('a command-order change without patched() fails every history with a nondeterminism error', async () => {
      const results = await replayHistories({ histories, workflowBundle: await bundle(join(__dirname, 'mutants/unpatched-timer.ts')) });
      expect(results).toHaveLength(histories.length);
      for (const result of results) {
        expect(result.error?.name).toBe('DeterminismViolationError');
      }
    }, 120_000);

    test('a new field read without a migration default fails every history with a workflow-task error', async () => {
      const results = await replayHistories({ histories, workflowBundle: await bundle(join(__dirname, 'mutants/unmigrated-state.ts')) });
      expect(results).toHaveLength(histories.length);
      for (const result of results) {
        expect(result.error).toBeDefined();
        expect(result.error?.message).toMatch(/fieldAddedLater|Cannot read properties of undefined/);
      }
    }, 120_000);

    test('state a preloaded module keeps across runs fails the second replay of every history', async () => {
      const mutant = join(__dirname, 'mutants/shared-module-state.ts');
      const twice = [...histories, ...histories];
      const results = await replayHistories({ histories: twice, workflowBundle: await bundle(mutant, [mutant]) });
      expect(results).toHaveLength(twice.length);
      expect(describeFailures(results.slice(0, histories.length))).toBe('');
      for (const result of results.slice(histories.length)) {
        expect(result.error?.name).toBe('DeterminismViolationError');
      }
    }, 120_000);

    test('the same command-order change behind patched() replays every history', async () => {
      const results = await replayHistories({ histories, workflowBundle: await bundle(join(__dirname, 'mutants/patched-timer.ts')) });
      expect(describeFailures(results)).toBe('');
    }, 120_000);
  });
});
