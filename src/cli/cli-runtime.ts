import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import type { Principal } from '../operations/principal';
import type { ZapOperations } from '../operations/zap-operations';
import { CliExitCode } from './cli-exit-codes';
import { CliOutput, type CliIo } from './cli-output';
import { CliSession, principalOf, type CliGlobalOptions } from './cli-session';

/**
 * What the commands of one `zap` invocation share: its streams, its session (the Zap and the
 * operations, loaded on first use) and the exit code the invocation ends with.
 */
export class CliRuntime {
  /** The exit code the invocation ends with (commands set it from outcomes). */
  exitCode: number = CliExitCode.Ok;
  private readonly session: CliSession;

  constructor(
    readonly io: CliIo,
    /** The command line (without node and the script), for commands that pass it on. */
    readonly argv: readonly string[],
  ) {
    this.session = new CliSession(io.environment);
  }

  /** The global options (`--module`, `--tenant`, `--user`, `--json`) as seen by `command`. */
  globals(command: Command): CliGlobalOptions {
    return command.optsWithGlobals<CliGlobalOptions>();
  }

  /** The output of `command` (human or `--json`). */
  output(command: Command): CliOutput {
    return new CliOutput(this.io, this.globals(command).json === true);
  }

  /** The operations and the principal for `command`; `decidedBy` is approve/reject `--by`. */
  async connect(command: Command, decidedBy?: string): Promise<{ operations: ZapOperations; principal: Principal }> {
    const globals = this.globals(command);
    return { operations: await this.session.operations(globals), principal: principalOf(globals, decidedBy) };
  }

  /** The started Zap itself, for the faces that take one (`zap mcp`). */
  startedZap(command: Command): Promise<import('../client/zap').Zap<any>> {
    return this.session.startedZap(this.globals(command));
  }

  /** Releases the session (the Zap's Temporal connection). */
  close(): Promise<void> {
    return this.session.close();
  }
}
