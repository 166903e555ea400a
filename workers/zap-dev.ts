#!/usr/bin/env node
/**
 * A Temporal dev server for the app in the current folder: `npx zap-dev` starts it in the
 * background with its state in ./.temporal/dev.db and prints where it answers; `npx zap-dev stop`
 * stops it; `status`, `path`, `foreground`, `--help`. It runs the `temporal` CLI found on PATH,
 * in $TEMPORAL_CLI_PATH or in ./.tools/bin, and never downloads one (it says how to install it).
 * The server has the zap-agents search attributes registered (`zap.listTasks` filters on them).
 */
import { runDevServerCli } from '../src/testing/dev-server/dev-server-cli';

void runDevServerCli(process.argv.slice(2)).then((exitCode) => {
  process.exitCode = exitCode;
});
