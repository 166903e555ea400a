/**
 * What a task of the load benchmarks (throughput, memory, recovery, history growth) asks the
 * scripted model. The user message starts with a header naming the task and its scenario, so one
 * scripted server answers every task of a run, of either side (zap-agents or the bare workflow).
 */

/** What the scripted model does with a task. */
export type LoadScenario =
  /** One `echo` tool call, then the final answer (the overhead benchmark's task with one round). */
  | 'echo'
  /** The final answer at once; the task then waits for a follow-up. */
  | 'answer'
  /** One `transfer_funds` call, which approval rules gate: the task waits for a human. */
  | 'approval'
  /** One `slow_step` call, which blocks on its first attempt: a worker can be killed under it. */
  | 'slow'
  /** Every request (first message and each follow-up) answered with `bytes` bytes of text. */
  | 'chat';

/** Identifies a task to the scripted model. */
export interface LoadTaskKey {
  taskKey: string;
  scenario: LoadScenario;
  /** Size of the model's answers in the `chat` scenario. @default 0 */
  bytes?: number;
}

const SCENARIOS: ReadonlySet<string> = new Set<LoadScenario>(['echo', 'answer', 'approval', 'slow', 'chat']);
const HEADER_PATTERN = /^\[load (\S+) (\w+) bytes=(\d+)\]/;

/**
 * The first user message of a task: the header, padded with filler to `messageBytes` bytes when
 * that is longer (the history benchmark's large messages).
 */
export function formatLoadMessage(key: LoadTaskKey, messageBytes = 0): string {
  const header = `[load ${key.taskKey} ${key.scenario} bytes=${key.bytes ?? 0}] `;
  return padText(header, messageBytes);
}

/** The key of a task message, or undefined when the text is not one. */
export function parseLoadMessage(text: string): LoadTaskKey | undefined {
  const match = HEADER_PATTERN.exec(text);
  if (!match || match[1] === undefined || match[2] === undefined || !SCENARIOS.has(match[2])) return undefined;
  return { taskKey: match[1], scenario: match[2] as LoadScenario, bytes: Number(match[3]) };
}

/** `prefix` followed by `x`s up to `bytes` bytes (ASCII, so characters are bytes); `prefix` alone if longer. */
export function padText(prefix: string, bytes: number): string {
  return prefix + 'x'.repeat(Math.max(0, bytes - prefix.length));
}
