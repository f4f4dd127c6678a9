#!/usr/bin/env bash
# Stops and starts only the Kafka broker, keeping its data and ports (for chaos
# tests that need a broker restart mid-stream). The registry keeps running.
#   bash scripts/stack/restart-kafka.sh [--down-for SECONDS]
# A multi-broker stack restarts one node at a time: scripts/stack/broker.sh restart <id>.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

down_for=0
while (($#)); do
  case "$1" in
    --down-for) down_for="${2:?--down-for needs seconds}"; shift 2 ;;
    *) die "unknown argument '$1' (usage: restart-kafka.sh [--down-for SECONDS])" ;;
  esac
done

load_kafka_layout
((STACK_BROKERS == 1)) ||
  die "$STACK_DIR runs $STACK_BROKERS Kafka nodes: restart one with scripts/stack/broker.sh restart <id> [--down-for SECONDS]"
running_pid kafka >/dev/null || die "Kafka is not running (start the stack with npm run stack:up)"
started_at=$(date +%s)
bash "$STACK_SCRIPTS/broker.sh" restart 1 --down-for "$down_for"
log "Kafka restarted on 127.0.0.1:$(kafka_node_port 1) in $(($(date +%s) - started_at))s"
