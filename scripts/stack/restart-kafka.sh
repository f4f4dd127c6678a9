#!/usr/bin/env bash
# Stops and starts only the Kafka broker, keeping its data and ports (for chaos
# tests that need a broker restart mid-stream). The registry keeps running.
#   bash scripts/stack/restart-kafka.sh [--down-for SECONDS]
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/stack/services.sh
source "$STACK_SCRIPTS/services.sh"

down_for=0
while (($#)); do
  case "$1" in
    --down-for) down_for="${2:?--down-for needs seconds}"; shift 2 ;;
    *) die "unknown argument '$1' (usage: restart-kafka.sh [--down-for SECONDS])" ;;
  esac
done

exec 8>"$STACK_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 8

running_pid kafka >/dev/null || die "Kafka is not running (start the stack with npm run stack:up)"
# Restart the version that runs, even when STACK_KAFKA_VERSION differs now.
KAFKA_VERSION="$(state_get kafka_version)"
KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
kafka_port="$(state_get kafka_port)"
controller_port="$(state_get controller_port)"
started_at=$(date +%s)
stop_process kafka
sleep "$down_for"
start_kafka "$kafka_port" "$controller_port"
log "Kafka restarted on 127.0.0.1:$kafka_port in $(($(date +%s) - started_at))s"
