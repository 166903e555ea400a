import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { withZapWorkflowCode } from '../worker/workflow-code';

/** One recorded history: a file in Temporal's JSON history format and the workflow it belongs to. */
export interface RecordedHistory {
  /** Path of the JSON file (`temporal workflow show --output json`, or `historyToJSON`). */
  file: string;
  workflowId: string;
  /** The set it belongs to: the name of its folder (a release version for committed sets). */
  set: string;
  /** Scenario named in the set's `manifest.json`, when there is one. */
  scenario?: string;
}

/** Result of replaying one history. */
export interface HistoryReplayResult {
  history: RecordedHistory;
  /** The nondeterminism or workflow-task error, when replay failed. */
  error?: Error;
}

/** Options of {@link replayHistories}. */
export interface ReplayHistoriesOptions {
  /** The histories to replay; see {@link loadRecordedHistories}. */
  histories: RecordedHistory[];
  /**
   * The workflow code to replay them against. Give either a pre-built bundle or a workflows path.
   * @default zap-agents' own workflows, as its workers run them (the prebuilt bundle of `dist`, or
   * `zap-agents/workflows` bundled with its modules preloaded)
   */
  workflowBundle?: { codePath: string };
  workflowsPath?: string;
  /** Further replay worker options (interceptors, sinks, …). @default {} */
  worker?: Omit<ReplayWorkerOptions, 'workflowBundle' | 'workflowsPath'>;
}

interface ManifestEntry {
  file: string;
  workflowId: string;
  scenario?: string;
}

/**
 * Reads every history under `directory`: either a folder of sets (`<directory>/<set>/*.json`) or
 * one set (`<directory>/*.json`). A set's `manifest.json` (written by `npm run record-histories`)
 * names the workflow id of each file; a file it does not list replays under its file name, so a
 * history exported with `temporal workflow show --output json` can simply be dropped in.
 */
export function loadRecordedHistories(directory: string): RecordedHistory[] {
  if (!existsSync(directory)) throw new Error(`No history directory at ${directory}`);
  const entries = readdirSync(directory).sort();
  const sets = entries.filter((entry) => statSync(join(directory, entry)).isDirectory());
  if (sets.length === 0) return loadSet(directory);
  return sets.flatMap((set) => loadSet(join(directory, set)));
}

function loadSet(directory: string): RecordedHistory[] {
  const set = basename(directory);
  const manifestPath = join(directory, 'manifest.json');
  const manifest = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { histories?: ManifestEntry[] })
    : {};
  const byFile = new Map((manifest.histories ?? []).map((entry) => [entry.file, entry]));
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json') && file !== 'manifest.json')
    .sort()
    .map((file) => {
      const entry = byFile.get(file);
      return {
        file: join(directory, file),
        workflowId: entry?.workflowId ?? file.replace(/\.json$/, ''),
        set,
        ...(entry?.scenario ? { scenario: entry.scenario } : {}),
      };
    });
}

/**
 * Replays recorded task histories against workflow code (zap-agents' own by default) and reports
 * each one's nondeterminism or workflow-task error. Run it in CI before deploying workers: a
 * history that fails here would wedge the matching open task after the deploy.
 *
 * @example
 * ```ts
 * const results = await replayHistories({ histories: loadRecordedHistories('histories') });
 * const failed = results.filter((result) => result.error);
 * ```
 */
export async function replayHistories(options: ReplayHistoriesOptions): Promise<HistoryReplayResult[]> {
  const { histories } = options;
  // zap's own workflows replay as its workers run them: with their modules preloaded.
  const code = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : options.workflowsPath
      ? { workflowsPath: options.workflowsPath }
      : withZapWorkflowCode({ ...options.worker });
  // Results name only the workflow id, and the runs of one task share it: match them in order.
  const waiting = new Map<string, RecordedHistory[]>();
  function* inputs(): Iterable<HistoryAndWorkflowId> {
    for (const history of histories) {
      const queue = waiting.get(history.workflowId) ?? [];
      queue.push(history);
      waiting.set(history.workflowId, queue);
      yield { workflowId: history.workflowId, history: historyFromJSON(JSON.parse(readFileSync(history.file, 'utf8'))) };
    }
  }
  const results: HistoryReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ ...options.worker, ...code }, inputs())) {
    const history = waiting.get(result.workflowId)?.shift();
    if (!history) throw new Error(`Replay reported an unknown history: ${result.workflowId}`);
    results.push({ history, ...(result.error ? { error: result.error } : {}) });
  }
  return results;
}
