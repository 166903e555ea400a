#!/usr/bin/env bash
# Prints the absolute path of a usable `moto_server` (an S3-compatible server) on stdout, progress
# on stderr, installing a project-local copy when none is found. Only the S3PayloadStore tests and
# the payload-store benchmark need it; zap-agents itself talks to S3 only when you configure
# S3PayloadStore.
#
# Lookup: $MOTO_SERVER_PATH, <repo>/.tools/bin/moto_server, then install:
#   pypi  pip install "moto[server]==$MOTO_VERSION" into <repo>/.tools/moto-venv (its own venv: moto
#         pins boto3, flask and werkzeug versions that other tools' venvs need not share)
# `moto_server` on PATH is not used: its version is unknown, and the tests rely on moto 5's S3.
set -euo pipefail

MOTO_VERSION="5.2.5"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TOOLS_DIR="$(cd "$SCRIPT_DIR/.." && pwd -P)/.tools"
VENV_DIR="$TOOLS_DIR/moto-venv"
LOCAL_BINARY="$TOOLS_DIR/bin/moto_server"

log() { printf 'ensure-s3-server: %s\n' "$*" >&2; }

# moto_server has no --version; importing the package and reading its version proves the install.
works() {
  [[ -f "$1" && -x "$1" ]] || return 1
  local python
  python="$(dirname "$(readlink -f "$1")")/python"
  [[ -x "$python" ]] && timeout 60 "$python" -c "import moto.server, moto; assert moto.__version__ == '$MOTO_VERSION'" >/dev/null 2>&1
}

emit() {
  printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")"
  exit 0
}

if [[ -n "${MOTO_SERVER_PATH:-}" ]]; then
  [[ -x "$MOTO_SERVER_PATH" ]] || { log "MOTO_SERVER_PATH=$MOTO_SERVER_PATH is not an executable"; exit 1; }
  emit "$MOTO_SERVER_PATH"
fi
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

mkdir -p "$TOOLS_DIR/bin"
exec 9>"$TOOLS_DIR/moto-install.lock"
flock -w 600 9 || { log "another install holds the lock"; exit 1; }
if works "$LOCAL_BINARY"; then emit "$LOCAL_BINARY"; fi

command -v python3 >/dev/null 2>&1 || { log "python3 is needed to install moto[server] from PyPI"; exit 1; }
if [[ ! -x "$VENV_DIR/bin/pip" ]]; then
  log "creating $VENV_DIR"
  python3 -m venv "$VENV_DIR" >&2
fi
log "pip install moto[server]==$MOTO_VERSION"
timeout 600 "$VENV_DIR/bin/pip" install --disable-pip-version-check --no-input --timeout 20 --retries 2 \
  "moto[server]==$MOTO_VERSION" >&2
works "$VENV_DIR/bin/moto_server" || { log "moto[server]==$MOTO_VERSION installed, but $VENV_DIR/bin/moto_server does not work"; exit 1; }
ln -sf "$VENV_DIR/bin/moto_server" "$LOCAL_BINARY.tmp.$$" && mv -f "$LOCAL_BINARY.tmp.$$" "$LOCAL_BINARY"
emit "$LOCAL_BINARY"
