#!/usr/bin/env bash
# One Kafka node of the stack, by node id (1..N; the single broker is node 1), for chaos
# tests and for trying out failures by hand. Data and ports are kept.
#   bash scripts/stack/broker.sh kill <id>      SIGKILL: a crash, no controlled shutdown
#   bash scripts/stack/broker.sh stop <id>      TERM: controlled shutdown (KILL after STACK_STOP_TIMEOUT_S)
#   bash scripts/stack/broker.sh start <id>     start it again; waits until it answers and sees every node
#   bash scripts/stack/broker.sh restart <id> [--down-for SECONDS]   stop, wait, start
# STACK_DIR selects the stack (default .stack), e.g. STACK_DIR=.stack-3 for a cluster.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/stack/services.sh
source "$STACK_SCRIPTS/services.sh"

usage="usage: broker.sh kill|stop|start|restart <node id> [--down-for SECONDS]"
action="${1:-}"
id="${2:-}"
[[ -n "$action" && -n "$id" ]] || die "$usage"
shift 2
down_for=0
while (($#)); do
  case "$1" in
    --down-for) down_for="${2:?--down-for needs seconds}"; shift 2 ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done

[[ -f "$STATE_FILE" ]] || die "no stack in $STACK_DIR (start one with npm run stack:up)"
exec 8>"$STACK_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 8

load_kafka_layout
require_node_id "$id"
# Act on the version that runs, even when STACK_KAFKA_VERSION differs now.
KAFKA_VERSION="$(state_get kafka_version)"
KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
name="$(kafka_node_name "$id")"

kill_node() {
  local pid
  if ! pid="$(running_pid "$name")"; then
    log "node $id is not running"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  # Bounded: gone once /proc no longer shows it (a zombie of this shell has an empty cmdline).
  for _ in $(seq 100); do
    [[ -r "/proc/$pid/cmdline" && -s "/proc/$pid/cmdline" ]] || break
    sleep 0.1
  done
  rm -f "$(pid_file "$name")"
  log "node $id (pid $pid) killed with SIGKILL"
}

start_node() {
  if pid="$(running_pid "$name")"; then
    log "node $id already running (pid $pid)"
    return 0
  fi
  port_in_use "$(kafka_node_port "$id")" &&
    die "port $(kafka_node_port "$id") of node $id is in use by another process"
  local started_at
  started_at=$(date +%s)
  start_kafka_node "$id"
  log "node $id started on 127.0.0.1:$(kafka_node_port "$id") in $(($(date +%s) - started_at))s"
}

case "$action" in
  kill) kill_node ;;
  stop) stop_process "$name"; log "node $id stopped" ;;
  start) start_node ;;
  restart)
    running_pid "$name" >/dev/null || die "node $id is not running (broker.sh start $id starts it)"
    stop_process "$name"
    sleep "$down_for"
    start_node
    ;;
  *) die "$usage" ;;
esac
