#!/usr/bin/env node
/**
 * The `zap` command: run and inspect tasks of your Zap from a shell, a script or an agent.
 *
 *   zap --module ./dist/my-zap.js start Support "Where is order 123?" --wait
 *   ZAP_MODULE=./dist/my-zap.js zap status <taskId> --json
 *
 * Every command goes through `ZapOperations` (as the HTTP API and the MCP server do); `--json`
 * prints one JSON document; exit codes are listed by `zap --help`.
 */
import { runCli } from '../src/cli/run-cli';

void runCli(process.argv.slice(2)).then((exitCode) => {
  // Exit once what was written is flushed: handles left by the user's module must not keep the
  // command alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(exitCode)));
});
