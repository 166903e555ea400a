#!/usr/bin/env bash
# A local Temporal dev server for this checkout, state in .temporal/dev.db: the `zap-dev` command
# of the package (workers/zap-dev.ts), run from the repository root. `./temporal-dev.sh --help`.
# The temporal binary comes from PATH, $TEMPORAL_CLI_PATH or .tools/bin (`bash scripts/setup.sh`
# installs it there); nothing is downloaded here. The server registers the zap-agents search
# attributes (ZapAgent, ZapStatus, ZapTenant, ZapUser, ZapParent) that zap.listTasks filters on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export ZAP_DEV_COMMAND="${ZAP_DEV_COMMAND:-./temporal-dev.sh}"

# The project's Node 24 (a devDependency) when installed.
node="node"
if [[ -x node_modules/.bin/node ]]; then node="node_modules/.bin/node"; fi
if [[ -f node_modules/tsx/package.json ]]; then
  exec "$node" --import tsx workers/zap-dev.ts "$@"
elif [[ -f dist/workers/zap-dev.js ]]; then
  exec "$node" dist/workers/zap-dev.js "$@"
fi
echo "temporal-dev: run 'npm install' (or 'npm run build') first" >&2
exit 1
