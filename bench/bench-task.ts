/**
 * What a benchmark task says and answers. Both sides (zap-agents and the bare workflow) send the
 * same prompt and message and get the same scripted replies, so their HTTP and activity payloads
 * differ only by what each design adds.
 */

/** Name of the benchmark agent. */
export const BENCH_AGENT_NAME = 'Bench';
/** Model id sent to the scripted server. */
export const BENCH_MODEL = 'scripted-model';
/** The system prompt of both sides. */
export const BENCH_SYSTEM_PROMPT =
  'You are a benchmark agent. Call the echo tool when asked to, then give a short final answer.';
/** Roughly the size of a typical short tool argument and a short answer. */
export const PAYLOAD_BYTES = 200;
/** The text the scripted model passes to `echo` at every tool round. */
export const ECHO_ARGUMENT_TEXT = filler('echo argument', PAYLOAD_BYTES);
/** The scripted model's final answer. */
export const FINAL_ANSWER = filler('final answer', PAYLOAD_BYTES);
/**
 * How long both workflows wait after the answer before they end: zap-agents' idle timeout, and a
 * sleep of the same length at the end of the bare workflow (see `overhead.ts`).
 */
export const FINAL_WAIT_MS = 10;

/** Identifies a task to the scripted model: which task it is and how many tool rounds it wants. */
export interface BenchTaskKey {
  taskKey: string;
  rounds: number;
}

const TASK_MESSAGE_PATTERN = /^\[bench (\S+) rounds=(\d+)\]/;

/** The user message of a task; the scripted model reads the key and the round count back from it. */
export function formatTaskMessage({ taskKey, rounds }: BenchTaskKey): string {
  return `[bench ${taskKey} rounds=${rounds}] Call echo ${rounds} time(s), then answer.`;
}

/** The key of a task message, or undefined when the text is not one. */
export function parseTaskMessage(text: string): BenchTaskKey | undefined {
  const match = TASK_MESSAGE_PATTERN.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { taskKey: match[1], rounds: Number(match[2]) };
}

function filler(label: string, bytes: number): string {
  const text = `${label}: `;
  return text + 'x'.repeat(Math.max(0, bytes - text.length));
}
