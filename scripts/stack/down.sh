#!/usr/bin/env bash
# npm run stack:down [-- --wipe] — stop exactly the processes stack:up started
# (by the pids in $STACK_DIR/*.pid; TERM, then KILL after STACK_STOP_TIMEOUT_S).
# A no-op when nothing runs. --wipe (or STACK_WIPE=1) also deletes the Kafka and
# registry data, so the next stack:up starts empty.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wipe="${STACK_WIPE:-0}"
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    *) die "unknown argument '$arg' (usage: down.sh [--wipe])" ;;
  esac
done

if [[ ! -d "$STACK_DIR" ]]; then
  log "nothing to stop ($STACK_DIR does not exist)"
  exit 0
fi
exec 8>"$STACK_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 8

load_kafka_layout
names=(registry)
for id in $(kafka_nodes); do names+=("$(kafka_node_name "$id")"); done
stopped=0
# All at once: each node's controlled shutdown needs the controller quorum, which the others form.
pids=()
for name in "${names[@]}"; do
  if running_pid "$name" >/dev/null; then stopped=$((stopped + 1)); fi
  stop_process "$name" &
  pids+=($!)
done
wait "${pids[@]}"
rm -f "$ENV_FILE"
if ((stopped == 0)); then log "nothing was running"; else log "stopped $stopped process(es)"; fi

if [[ "$wipe" == 1 ]]; then
  rm -rf "$KAFKA_DATA" "$REGISTRY_DATA" "$STATE_FILE" "$STACK_DIR/kafka"
  log "wiped $KAFKA_DATA and $REGISTRY_DATA"
fi
