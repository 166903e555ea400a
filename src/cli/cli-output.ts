import { describeCliError, type CliErrorReport } from './cli-exit-codes';

/** Where the CLI writes, and what it reads from its process. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  environment: NodeJS.ProcessEnv;
}

/** The part of a writable stream the CLI uses. */
export interface CliStream {
  write(text: string): unknown;
  /** True when the stream is a terminal (live tokens are shown inline only then). */
  isTTY?: boolean;
}

/**
 * What a command prints: a human-readable rendering by default, with `--json` one JSON document
 * (or, for event streams, one JSON object per line) on stdout and errors as
 * `{ "error": { "code", "message" } }` on stderr.
 */
export class CliOutput {
  constructor(
    private readonly io: CliIo,
    /** True with `--json`. */
    readonly json: boolean,
  ) {}

  /** True when stdout is a terminal. */
  get interactive(): boolean {
    return this.io.stdout.isTTY === true;
  }

  /** Prints a command's result: `value` as one JSON document, or the human rendering. */
  result(value: unknown, render: () => string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value)}\n`);
    else this.line(render());
  }

  /** Prints one line (or block) of human-readable text. */
  line(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Prints `value` as one JSON line (event streams). */
  jsonLine(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes text as is (live tokens). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }

  /** Prints a notice for people on stderr; nothing with `--json`. */
  notice(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** Prints an error on stderr and returns its report. */
  error(error: unknown): CliErrorReport {
    const report = describeCliError(error);
    this.reportError(report);
    return report;
  }

  /** Prints an error report on stderr. */
  reportError(report: CliErrorReport): void {
    if (this.json) this.io.stderr.write(`${JSON.stringify({ error: report })}\n`);
    else this.io.stderr.write(`zap: ${report.message} [${report.code}]\n`);
  }
}
